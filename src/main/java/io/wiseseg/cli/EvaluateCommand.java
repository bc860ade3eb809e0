package io.wiseseg.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.VocDataset;
import io.wiseseg.eval.Abo;
import io.wiseseg.eval.Baselines;
import io.wiseseg.eval.CocoAp;
import io.wiseseg.eval.EvaluationReport;
import io.wiseseg.eval.Evaluator;
import io.wiseseg.eval.GroundTruth;
import io.wiseseg.eval.ReferenceAp;
import io.wiseseg.eval.VocR;
import io.wiseseg.util.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg evaluate}: scores a predictions file (COCO results JSON) against a split. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Score instance predictions (COCO results JSON with RLE masks) against a dataset split: "
                + "the WISE reference protocol (AP at IoU 0.25/0.5/0.75), ABO, and optionally VOC^r and COCO AP.")
final class EvaluateCommand implements Callable<Integer> {
    enum Protocol { reference, vocr, coco, abo }

    enum Baseline { gt_masks, gt_boxes }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    DatasetOptions data;

    @Option(names = "--split", defaultValue = "val", description = "Split to evaluate (default: ${DEFAULT-VALUE}).")
    String split;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--predictions", paramLabel = "JSON",
                description = "COCO results file: [{image_id, category_id, segmentation (RLE), score}, ...].")
        Path predictions;

        @Option(names = "--baseline", paramLabel = "NAME",
                description = "Score an oracle made from the ground truth instead: gt_masks or gt_boxes (filled boxes).")
        Baseline baseline;
    }

    @Option(names = "--protocol", split = ",", defaultValue = "reference,abo",
            description = "Protocols, comma-separated: reference, vocr, coco, abo (default: ${DEFAULT-VALUE}).")
    List<Protocol> protocols;

    @Option(names = "--report", paramLabel = "DIR", description = "Write metrics.json (all protocols) into DIR.")
    Path report;

    @Override
    public Integer call() throws IOException {
        VocDataset voc = data.openWithSplit(split);
        List<AnnotatedImage> truth;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            truth = voc.annotated(split, bar);
        }
        List<ImagePrediction> predictions;
        String what;
        if (source.predictions != null) {
            CocoDataset asCoco = new CocoDataset(voc.classes(), CocoDataset.defaultCategoryIds(voc.classes()),
                    truth, Map.of());
            predictions = CocoJson.readResults(source.predictions, asCoco);
            what = source.predictions.toString();
        } else {
            predictions = source.baseline == Baseline.gt_masks ? Baselines.groundTruthMasks(truth)
                    : Baselines.groundTruthBoxes(truth);
            what = "baseline " + source.baseline;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%s on %s/%s (%d images)%n%n", what, data.root, split, truth.size());
        Map<String, EvaluationReport> reports = evaluate(GroundTruth.of(truth), predictions, voc, protocols);
        for (EvaluationReport r : reports.values()) {
            out.println(r.toText());
        }
        out.flush();
        if (report != null) {
            writeReport(report, reports);
            out.println("wrote " + report.resolve("metrics.json"));
            out.flush();
        }
        return 0;
    }

    static Map<String, EvaluationReport> evaluate(List<GroundTruth> truth, List<ImagePrediction> predictions,
            VocDataset voc, List<Protocol> protocols) {
        Map<String, EvaluationReport> reports = new LinkedHashMap<>();
        for (Protocol p : protocols) {
            Evaluator e = switch (p) {
                case reference -> new ReferenceAp();
                case vocr -> new VocR();
                case coco -> new CocoAp();
                case abo -> new Abo();
            };
            reports.put(p.name(), e.evaluate(truth, predictions, voc.classes()));
        }
        return reports;
    }

    static void writeReport(Path dir, Map<String, EvaluationReport> reports) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        reports.forEach((name, r) -> root.set(name, r.toJsonNode()));
        Files.createDirectories(dir);
        AtomicFiles.write(dir.resolve("metrics.json"), tmp -> mapper.writeValue(tmp.toFile(), root));
    }
}
