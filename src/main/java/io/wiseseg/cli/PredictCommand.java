package io.wiseseg.cli;

import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImageFiles;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Instance;
import io.wiseseg.data.LabelledImage;
import io.wiseseg.data.RgbImage;
import io.wiseseg.data.VocDataset;
import io.wiseseg.pipeline.Segment;
import io.wiseseg.pipeline.Segmenter;
import io.wiseseg.util.Trace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg predict}: runs a trained Mask R-CNN and writes COCO results JSON (RLE masks). */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Predict instances with a trained Mask R-CNN (a train-maskrcnn output folder) on a dataset "
                + "split or a folder of images; writes COCO results JSON for `wiseseg evaluate`.")
final class PredictCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "A train-maskrcnn --out folder (config.json + model.pt).")
    Path checkpoint;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--dataset", paramLabel = "DIR", description = "Dataset root (VOC layout); with --split.")
        Path dataset;

        @Option(names = "--images", paramLabel = "DIR", description = "A folder of .jpg/.png images (ids: file names "
                + "without extension).")
        Path images;
    }

    @Option(names = "--split", defaultValue = "val", description = "Split of --dataset (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--out", required = true, paramLabel = "JSON", description = "Predictions file to write.")
    Path out;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    record Item(String id, java.util.function.Supplier<RgbImage> image) {}

    @Override
    public Integer call() throws IOException {
        threads.value(); // a bad count is refused before any work
        io.wiseseg.kernels.Device device = deviceOption.resolve(); // before any other work
        Segmenter segmenter = LoadedSegmenter.load(checkpoint, threads, device);
        try (segmenter) {
            return predict(segmenter);
        }
    }

    private int predict(Segmenter segmenter) throws IOException {
        int classCount = segmenter.classes().size();
        List<Item> items = new ArrayList<>();
        List<String> classNames;
        if (input.dataset != null) {
            VocDataset voc = VocDataset.open(input.dataset);
            if (!voc.splits().contains(split)) {
                throw new UserException(input.dataset + ": no split '" + split + "' (has " + voc.splits() + ")");
            }
            for (LabelledImage li : voc.labelled(split)) {
                items.add(new Item(li.id(), () -> voc.readImage(li)));
            }
            classNames = voc.classes().names();
        } else {
            if (!Files.isDirectory(input.images)) {
                throw new UserException(input.images + ": not a folder");
            }
            try (Stream<Path> files = Files.list(input.images)) {
                for (Path p : files.sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (name.matches("(?i).*\\.(jpe?g|png)")) {
                        items.add(new Item(name.substring(0, name.lastIndexOf('.')), () -> ImageFiles.readRgb(p)));
                    }
                }
            }
            classNames = null;
        }
        if (classNames != null && classNames.size() != classCount) {
            throw new UserException(checkpoint + ": the model has " + classCount
                    + " classes but the dataset has " + classNames.size());
        }
        List<ImagePrediction> predictions = new ArrayList<>();
        try (ProgressBarListener bar = new ProgressBarListener()) {
            bar.progress("predict", 0, items.size());
            for (Item it : items) {
                try (Trace.Span s = Trace.span("image", "predict").arg("id", it.id())) {
                    RgbImage image = it.image().get();
                    List<Instance> instances = segmenter.segment(image).stream().map(Segment::instance).toList();
                    predictions.add(new ImagePrediction(it.id(), image.height(), image.width(), instances));
                }
                bar.progress("predict", predictions.size(), items.size());
            }
        }
        List<Integer> categories = java.util.stream.IntStream.rangeClosed(1, classCount).boxed().toList();
        try (Trace.Span s = Trace.span("encode", "predict")) { // RLE + JSON
            CocoJson.writeResults(out, predictions, categories);
        }
        spec.commandLine().getOut().println("wrote " + out + " (" + predictions.stream().mapToInt(p -> p.instances().size()).sum()
                + " instances, " + predictions.size() + " images)");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
