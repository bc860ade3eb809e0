package io.wiseseg.cli;

import io.wiseseg.data.VocDataset;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The dataset options commands share (a picocli mixin): a VOC-layout root and an optional SBD root. */
final class DatasetOptions {
    @Option(names = "--dataset", required = true, paramLabel = "DIR", description = "Dataset root (VOC layout).")
    Path root;

    @Option(names = "--sbd", paramLabel = "DIR", description = "SBD root; default: DIR/SBD when present.")
    Path sbd;

    VocDataset open() {
        return sbd == null ? VocDataset.open(root) : VocDataset.open(root, sbd);
    }

    /** The dataset, refusing a split it does not have in one line that lists those it has. */
    VocDataset openWithSplit(String split) {
        VocDataset voc = open();
        if (!voc.splits().contains(split)) {
            throw new UserException(root + ": no split '" + split + "' (has " + voc.splits() + ")");
        }
        return voc;
    }
}
