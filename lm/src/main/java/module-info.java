/** Language models, tokenizers, training and the command-line tool. */
module dev.jgrad.lm {
    requires transitive dev.jgrad.nn;

    exports dev.jgrad.lm.cli;
}
