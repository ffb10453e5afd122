package org.darkroom.analysis;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenFilter;
import org.apache.lucene.analysis.reverse.ReverseStringFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;

/** {@code edge_ngram}: params {@code min_gram} (1), {@code max_gram} (2), {@code preserve_original} (false), {@code side} (front|back). */
final class EdgeNGramFactory extends AbstractTokenFilterFactory {

    private final int minGram;
    private final int maxGram;
    private final boolean preserveOriginal;
    private final boolean back;

    EdgeNGramFactory(String name, Settings settings) {
        super(name, settings);
        minGram = settings.getAsInt("min_gram", 1);
        maxGram = settings.getAsInt("max_gram", 2);
        preserveOriginal = settings.getAsBoolean("preserve_original", false);
        String side = settings.get("side", "front");
        if (!side.equals("front") && !side.equals("back")) {
            throw new IllegalArgumentException("invalid side [" + side + "] for [" + name + "], expected front or back");
        }
        back = side.equals("back");
        if (minGram < 1 || maxGram < minGram) {
            throw new IllegalArgumentException("[" + name + "] needs 1 <= min_gram <= max_gram, got " + minGram + ".." + maxGram);
        }
    }

    @Override
    public TokenStream create(TokenStream in) {
        if (!back) {
            return new EdgeNGramTokenFilter(in, minGram, maxGram, preserveOriginal);
        }
        // Suffixes: grams of the reversed token, reversed back.
        return new ReverseStringFilter(new EdgeNGramTokenFilter(new ReverseStringFilter(in), minGram, maxGram, preserveOriginal));
    }

    // Grams overlap in offsets, which the fast vector highlighter cannot handle.
    @Override
    public boolean breaksFastVectorHighlighter() {
        return true;
    }
}
