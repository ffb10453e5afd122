package org.darkroom.analysis;

import java.util.Map;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The few analysis-common token filters Darkroom's index templates use, under
 * Elasticsearch's own names and parameters: the integration-test distribution
 * lacks the analysis-common module, and a full Elasticsearch has these built in.
 * Every filter here works with empty settings, so none needs
 * requiresAnalysisSettings and each can also be named bare in an analyzer.
 */
public class DarkroomAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "asciifolding", (index, env, name, settings) -> new AsciiFoldingFactory(name, settings),
            "stemmer", (index, env, name, settings) -> new StemmerFactory(name, settings),
            "porter_stem", (index, env, name, settings) -> new AbstractTokenFilterFactory(name, settings) {
                @Override
                public TokenStream create(TokenStream in) {
                    return new PorterStemFilter(in);
                }
            },
            "edge_ngram", (index, env, name, settings) -> new EdgeNGramFactory(name, settings)
        );
    }
}
