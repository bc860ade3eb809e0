package io.wiseseg.cli;

import io.wiseseg.pipeline.SettingsSearch;
import picocli.CommandLine.Option;

/**
 * The settings-search flags of {@code run} and {@code demo} (a picocli mixin): choose the
 * pseudo-mask settings on a seeded part of the train split ({@link SettingsSearch}).
 */
final class TuneOptions {
    /**
     * On by default (issue #16): the fixed settings were picked on the demo's val split, and on the
     * full demo, two seeds, the search gave WISE +2.4 and +0.9 AP50 over them (bench/RESULTS.md).
     */
    static final String DEFAULT_FRACTION = "" + SettingsSearch.Options.DEFAULT_FRACTION;

    @Option(names = "--tune-fraction", paramLabel = "F", defaultValue = DEFAULT_FRACTION, description = "Choose the "
            + "pseudo-mask settings (rule, map blur and fraction, proposal count, peak threshold, merge, NMS) on F of "
            + "the train split's images, drawn by --seed, scored against their GT masks (the only masks the choice "
            + "reads); the chosen settings then label the train split. In (0, 1]; 0: no search, the given settings "
            + "(default: ${DEFAULT-VALUE}).")
    double fraction;

    @Option(names = "--tune-grid", paramLabel = "SPEC", description = "With --tune-fraction: the axes to search instead "
            + "of the default's, e.g. 'rule=iou,wise;blur=0.02,0.04;fraction=0.5;proposals=100,0;peak=0,1;merge=0,0.5;"
            + "nms=false,true;classes=0,0.5' (default: rule=iou,wise,prm; blur=0.01,0.02,0.04; fraction=0.3,0.5,0.7; "
            + "proposals=100,0; peak=--peak-threshold; merge=0,0.5; nms=false; classes=0, see --class-conflict-iou).")
    String grid;

    @Option(names = "--tune-metric", paramLabel = "ap50|f1", defaultValue = "ap50", description = "With --tune-fraction: "
            + "what ranks the candidates: 'ap50', the pseudo masks' AP50 on the tuning images, or 'f1', F1 of their "
            + "precision and object recall at IoU 0.5 (the Mask R-CNN learns from every pseudo mask alike, so their "
            + "ranking, which AP rewards, does not matter to it); ties go to AP50, AP25, AP75, ABO (default: "
            + "${DEFAULT-VALUE}).")
    String metric;

    /** The search to run, checked: a bad fraction or grid is a one-line error naming the flag. */
    SettingsSearch.Options options(float peakThreshold) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new UserException("--tune-fraction must be in (0, 1], or 0 for no search; got " + fraction);
        }
        if (fraction == 0) {
            if (grid != null) {
                throw new UserException("--tune-grid needs a --tune-fraction above 0");
            }
            if (!metric.equals(SettingsSearch.Metric.AP50.word())) {
                throw new UserException("--tune-metric needs a --tune-fraction above 0");
            }
            return SettingsSearch.Options.OFF;
        }
        SettingsSearch.Metric ranking;
        try {
            ranking = SettingsSearch.Metric.of(metric);
        } catch (IllegalArgumentException e) {
            throw new UserException("--tune-metric: " + e.getMessage());
        }
        SettingsSearch.Grid defaults = SettingsSearch.Grid.defaults(peakThreshold);
        try {
            return new SettingsSearch.Options(fraction, grid == null ? defaults : SettingsSearch.Grid.parse(grid, defaults),
                    ranking);
        } catch (IllegalArgumentException e) {
            throw new UserException("--tune-grid: " + e.getMessage());
        }
    }
}
