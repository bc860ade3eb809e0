package io.wiseseg.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.AnnotatedImage;
import io.wiseseg.data.CocoDataset;
import io.wiseseg.data.CocoJson;
import io.wiseseg.data.ImagePrediction;
import io.wiseseg.data.Overlay;
import io.wiseseg.data.SyntheticDataset;
import io.wiseseg.data.VocDataset;
import io.wiseseg.eval.Abo;
import io.wiseseg.eval.Baselines;
import io.wiseseg.eval.EvaluationReport;
import io.wiseseg.eval.GroundTruth;
import io.wiseseg.eval.ReferenceAp;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmTrainer;
import io.wiseseg.proposals.ProposalCache;
import io.wiseseg.proposals.SelectiveSearch;
import io.wiseseg.pseudo.BestIou;
import io.wiseseg.pseudo.BestObjectness;
import io.wiseseg.pseudo.InstanceNms;
import io.wiseseg.pseudo.PrmEvidence;
import io.wiseseg.pseudo.PrmRetrieval;
import io.wiseseg.pseudo.PseudoLabeller;
import io.wiseseg.pseudo.SelectionRule;
import io.wiseseg.util.TorchRuntime;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wiseseg demo}: the pipeline end to end on the embedded synthetic benchmark: generate the
 * data, train the PRM classifier on image-level labels, turn its peaks into pseudo masks with
 * proposals, and score them (mAP at IoU 0.25 / 0.5 / 0.75 and ABO) next to the ground-truth
 * oracles. Every stage resumes from what an earlier run left in --out.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the WISE pipeline on the synthetic benchmark: data → PRM classifier → pseudo masks → "
                + "evaluation, with overlay PNGs. Resumes from what an earlier run left in --out.")
final class DemoCommand implements Callable<Integer> {
    enum Rule { wise, prm, iou }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", defaultValue = "wiseseg-demo", paramLabel = "DIR",
            description = "Working folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "A smaller run (fewer images and epochs) for a first look.")
    boolean quick;

    @Option(names = "--images", description = "Synthetic images, a tenth of them val (default: 1000, --quick: 400).")
    Integer images;

    @Option(names = "--epochs", description = "Classifier epochs (default: 12, --quick: 8).")
    Integer epochs;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the data and the training (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rule", defaultValue = "iou",
            description = "Pseudo-mask rule: wise (best objectness), prm (PRM retrieval + instance NMS), "
                    + "iou (best IoU with the peak response map) (default: ${DEFAULT-VALUE}).")
    Rule rule;

    @Option(names = "--overlays", defaultValue = "6", description = "Overlay PNGs to write (default: ${DEFAULT-VALUE}).")
    int overlays;

    static final int SIZE = 160, MAX_INSTANCES = 4;

    @Override
    public Integer call() throws IOException {
        int n = images != null ? images : quick ? 400 : 1000;
        int e = epochs != null ? epochs : quick ? 8 : 12;
        PrintWriter w = spec.commandLine().getOut();
        Files.createDirectories(out);
        checkSettings(n, e);
        TorchRuntime.ensureLoaded();
        org.bytedeco.pytorch.global.torch.manual_seed(seed);

        // 1. data
        Path dataDir = out.resolve("data");
        VocDataset voc;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            voc = Files.exists(dataDir.resolve("synthetic.txt")) ? VocDataset.open(dataDir)
                    : SyntheticDataset.generate(dataDir, new SyntheticDataset.Options(n, SIZE, SIZE, seed,
                            MAX_INSTANCES, SyntheticDataset.CLASSES.names(), 0.03, 0.1, false), bar);
        }
        say(w, "1/4 data: %d synthetic images (%d train, %d val) in %s", n, voc.labelled("train").size(),
                voc.labelled("val").size(), dataDir);

        // 2. classifier, on image-level labels only
        Path prmDir = out.resolve("prm");
        PrmConfig config = new PrmConfig("resnet18", 16, voc.classes().names(), null, dataDir.toAbsolutePath().toString(),
                "train", e, 16, SIZE, 1.25, 0.5, 0.02, 1.0, true, 0.9, 1e-4, seed, 100);
        PeakFinder finder = new PeakFinder(Device.cpu());
        PrmTrainer.Trained trained;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            trained = new PrmTrainer(config, finder).train(voc, prmDir,
                    Files.exists(prmDir.resolve(PrmCheckpoint.STATE)), bar);
        }
        List<Double> losses = trained.state().losses();
        say(w, "2/4 PRM classifier (ResNet-18/16, %d px, %d epochs): loss %.3f → %.3f, checkpoint %s", SIZE, e,
                mean(losses.subList(0, Math.min(10, losses.size()))),
                mean(losses.subList(Math.max(0, losses.size() - 10), losses.size())), prmDir);

        // 3. pseudo masks for the val images (scored below) and the train images (a Mask R-CNN's targets)
        PeakResponseMaps prm = new PeakResponseMaps(trained.network(), new PeakStimulation(finder),
                PeakResponseMaps.DEFAULT_CLASS_THRESHOLD, 0f);
        SelectionRule selection = switch (rule) {
            case wise -> BestObjectness.boProposal();
            case prm -> PrmRetrieval.prm();
            case iou -> new BestIou(1.0, 100);
        };
        PseudoLabeller labeller = new PseudoLabeller(selection, rule == Rule.prm ? InstanceNms.prm() : null,
                new ProposalScorer(Device.cpu()));
        ProposalCache proposals = new ProposalCache(out.resolve("proposals"),
                new SelectiveSearch(SelectiveSearch.Options.fast()));
        // seeds at the maxima of the peak response maps, as WISE places its points
        PrmEvidence evidence = new PrmEvidence(voc, trained.network(), prm, SIZE, proposals,
                PrmEvidence.needsOf(selection, PrmEvidence.Point.RESPONSE_MAX), PrmEvidence.Point.RESPONSE_MAX);
        List<Integer> categories = CocoDataset.defaultCategoryIds(voc.classes());
        Map<String, Path> pseudo = new LinkedHashMap<>();
        for (String split : List.of("val", "train")) {
            Path file = out.resolve("pseudo-" + rule + "-" + split + ".json");
            try (ProgressBarListener bar = new ProgressBarListener()) {
                labeller.labelSplit(voc.labelled(split), evidence, categories, file, bar);
            }
            pseudo.put(split, file);
        }
        say(w, "3/4 pseudo masks (%s): %s, %s", labeller.description(), pseudo.get("val"), pseudo.get("train"));
        if (labeller.times().images() > 0) {
            say(w, "    per image: %s; then %s", evidence.times().summary(), labeller.times().summary());
        }

        // 4. evaluation on val, next to the oracles
        List<AnnotatedImage> truth = voc.annotated("val");
        CocoDataset asCoco = new CocoDataset(voc.classes(), categories, truth, Map.of());
        List<ImagePrediction> pseudoVal = CocoJson.readResults(pseudo.get("val"), asCoco);
        Map<String, List<ImagePrediction>> rows = new LinkedHashMap<>();
        rows.put("pseudo masks (" + rule + ")", pseudoVal);
        rows.put("oracle: GT boxes as masks", Baselines.groundTruthBoxes(truth));
        rows.put("oracle: GT masks", Baselines.groundTruthMasks(truth));
        ObjectNode metrics = new ObjectMapper().createObjectNode();
        w.println();
        w.printf("%-30s %7s %7s %7s %7s%n", "val (" + truth.size() + " images)", "AP25", "AP50", "AP75", "ABO");
        for (var row : rows.entrySet()) {
            EvaluationReport ap = new ReferenceAp().evaluate(GroundTruth.of(truth), row.getValue(), voc.classes());
            EvaluationReport abo = new Abo().evaluate(GroundTruth.of(truth), row.getValue(), voc.classes());
            w.printf("%-30s %7.1f %7.1f %7.1f %7.1f%n", row.getKey(), 100 * ap.mean()[0], 100 * ap.mean()[1],
                    100 * ap.mean()[2], 100 * abo.mean()[0]);
            ObjectNode m = metrics.putObject(row.getKey());
            m.set("reference", ap.toJsonNode());
            m.set("abo", abo.toJsonNode());
        }
        w.println();
        Path metricsFile = out.resolve("metrics-" + rule + ".json");
        writeJson(metricsFile, metrics);
        Path overlayDir = out.resolve("overlays-" + rule);
        int shown = writeOverlays(voc, truth, pseudoVal, overlayDir);
        say(w, "4/4 metrics in %s; %d overlays (ground truth | pseudo masks) in %s", metricsFile, shown, overlayDir);
        return 0;
    }

    /** A folder made with other settings would mix runs: refuse it. */
    private void checkSettings(int n, int e) throws IOException {
        ObjectNode want = new ObjectMapper().createObjectNode().put("images", n).put("epochs", e)
                .put("seed", seed).put("size", SIZE).put("maxInstances", MAX_INSTANCES);
        Path file = out.resolve("demo.json");
        if (Files.exists(file)) {
            var have = new ObjectMapper().readTree(file.toFile());
            if (!have.toString().equals(want.toString())) { // as text: a read-back 0L is an IntNode
                throw new UserException(out + " holds a demo run with other settings (" + have + "); "
                        + "use another --out or delete it");
            }
            return;
        }
        writeJson(file, want);
    }

    private int writeOverlays(VocDataset voc, List<AnnotatedImage> truth, List<ImagePrediction> pseudo,
            Path dir) {
        System.setProperty("java.awt.headless", "true");
        int count = Math.min(truth.size(), overlays);
        int written = 0;
        for (int i = 0; i < truth.size() && written < count; i++) {
            AnnotatedImage a = truth.get(i);
            var rgb = voc.readImage(a.image());
            Overlay.Style style = Overlay.Style.forSize(rgb.width(), rgb.height(), true);
            BufferedImage left = Overlay.render(rgb, a.instances(), a.voidMask(), voc.classes(), style);
            BufferedImage right = Overlay.render(rgb, pseudo.get(i).instances(), null, voc.classes(), style);
            BufferedImage both = new BufferedImage(left.getWidth() + right.getWidth() + 8, left.getHeight(),
                    BufferedImage.TYPE_INT_RGB);
            Graphics2D g = both.createGraphics();
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, both.getWidth(), both.getHeight());
            g.drawImage(left, 0, 0, null);
            g.drawImage(right, left.getWidth() + 8, 0, null);
            g.dispose();
            Overlay.writePng(both, dir.resolve(a.image().id() + ".png"));
            written++;
        }
        return written;
    }

    private static void writeJson(Path file, Object value) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), value);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void say(PrintWriter w, String format, Object... args) {
        w.printf(format + "%n", args);
        w.flush();
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
