module darkroom/pause

go 1.21
