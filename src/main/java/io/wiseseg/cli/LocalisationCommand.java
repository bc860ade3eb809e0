package io.wiseseg.cli;

import io.wiseseg.data.VocDataset;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.prm.IsolatedObjects;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmEvaluation;
import io.wiseseg.prm.TrainingRecipe;
import io.wiseseg.util.TorchRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg localisation}: how well a PRM classifier's peaks find the objects of a split. */
@Command(name = "localisation", mixinStandardHelpOptions = true,
        description = "Evaluate a trained PRM classifier on a split with instance ground truth: classification "
                + "mAP, the fraction of instances containing a peak of their class, the fraction of peaks "
                + "inside an instance of their class, and how often it names an object's class when shown the "
                + "object alone (outside its box the mean colour).")
final class LocalisationCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR|FILE", description = "train-classifier checkpoint.")
    Path checkpoint;

    @Option(names = "--dataset", required = true, paramLabel = "DIR", description = "Dataset root (VOC layout).")
    Path dataset;

    @Option(names = "--split", description = "Split to evaluate (default: ${DEFAULT-VALUE}).")
    String split = "val";

    @Option(names = "--image-size", description = "Image side fed to the network (default: the training size).")
    Integer imageSize;

    @Option(names = "--class-threshold", description = "Keep classes whose score is at least this (default: ${DEFAULT-VALUE}).")
    float classThreshold = PeakResponseMaps.DEFAULT_CLASS_THRESHOLD;

    @Option(names = "--peak-threshold", description = "Keep peaks above this response (default: ${DEFAULT-VALUE}).")
    float peakThreshold = PeakResponseMaps.DEFAULT_PEAK_THRESHOLD;

    @Option(names = "--points", description = "Where a peak points: PEAK (its own position) or RESPONSE_MAX (the "
            + "maximum of its response map, WISE's rule) (default: ${DEFAULT-VALUE}).")
    PrmEvaluation.PointRule points = PrmEvaluation.PointRule.RESPONSE_MAX;

    @Option(names = "--image-labels", description = "Peaks of each image's labelled classes only, as the pseudo "
            + "masks take them (the class threshold then does not apply); default: of every class scored present.")
    boolean imageLabels;

    @Override
    public void run() {
        TorchRuntime.ensureLoaded(); // before any LibTorch class (see TorchRuntime)
        threads.apply();
        Device device = deviceOption.resolve();
        VocDataset voc = VocDataset.open(dataset);
        PrmConfig config = PrmCheckpoint.config(checkpoint);
        if (!voc.classes().names().equals(config.classes())) {
            throw new UserException("the dataset's classes " + voc.classes().names() + " differ from the checkpoint's "
                    + config.classes());
        }
        int size = imageSize == null ? config.imageSize() : imageSize;
        PeakResponseMaps prm = new PeakResponseMaps(PrmCheckpoint.loadNetwork(checkpoint, device),
                new PeakStimulation(new PeakFinder(device)), classThreshold, peakThreshold);
        PrmEvaluation.Classification c;
        PrmEvaluation.Localisation l;
        PrmEvaluation.Classification cByMaximum = null;
        IsolatedObjects alone, aloneByMaximum = null;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            c = PrmEvaluation.classification(prm, voc, split, size, bar);
            l = PrmEvaluation.localisation(prm, voc, split, size, points, imageLabels, bar);
            alone = IsolatedObjects.of(prm, voc, split, size, bar);
            if (config.recipe().pooling() == TrainingRecipe.Pooling.MAX) { // also as it was trained
                cByMaximum = PrmEvaluation.classification(voc, split, size,
                        PrmEvaluation.mapMaximum(prm.network(), device), bar);
                aloneByMaximum = IsolatedObjects.byMapMaximum(prm.network(), device, voc, split, size, bar);
            }
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("split %s: %d images, %d instances, %d peaks (%s, peak threshold %s, %d px, points %s)%n",
                split, l.images(), l.instances(), l.peaks(),
                imageLabels ? "classes from the image labels" : "class threshold " + classThreshold, peakThreshold,
                size, points);
        w.printf("classification mAP %.3f (chance %.3f)%n", c.meanAp(), c.chanceMeanAp());
        w.printf("instances with a peak of their class: %.3f%n", l.instanceRecall());
        double[] bySize = l.recallBySize();
        int[] counts = {l.instancesBySize().small(), l.instancesBySize().medium(), l.instancesBySize().large()};
        String[] shown = new String[3];
        for (int i = 0; i < 3; i++) {
            shown[i] = counts[i] == 0 ? "none" : String.format("%.3f of %d", bySize[i], counts[i]);
        }
        w.printf("  small (mask under 32² px): %s, medium (to 96²): %s, large: %s%n", shown[0], shown[1], shown[2]);
        w.printf("peaks inside an instance of their class: %.3f%n", l.peakPrecision());
        w.printf("objects shown alone (%d): class scored highest of all %d %.3f (chance %.3f), of the image's labels "
                + "%.3f (chance %.3f)%n", alone.objects(), alone.classes(), alone.accuracy(), alone.chance(),
                alone.accuracyAmongLabels(), alone.chanceAmongLabelsShare());
        if (aloneByMaximum != null) {
            w.printf("classification mAP, each map scored by its maximum as this classifier was trained: %.3f%n",
                    cByMaximum.meanAp());
            w.printf("objects shown alone, scored by each map's maximum as this classifier was trained: %.3f, of the "
                    + "image's labels %.3f%n", aloneByMaximum.accuracy(), aloneByMaximum.accuracyAmongLabels());
        }
        w.flush();
    }
}
