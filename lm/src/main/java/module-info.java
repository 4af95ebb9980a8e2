/** Language models, tokenizers, training, sampling and the command-line tool. */
module dev.jgrad.lm {
    requires transitive dev.jgrad.nn;
    requires java.desktop;

    exports dev.jgrad.lm;
    exports dev.jgrad.lm.cli;
    exports dev.jgrad.lm.data;
    exports dev.jgrad.lm.eval;
    exports dev.jgrad.lm.models;
    exports dev.jgrad.lm.sample;
    exports dev.jgrad.lm.text;
    exports dev.jgrad.lm.train;
}
