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
import io.wiseseg.maskrcnn.MaskRcnn;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.maskrcnn.MaskRcnnTrainer;
import io.wiseseg.maskrcnn.MaskRcnnWeights;
import io.wiseseg.maskrcnn.Predictor;
import io.wiseseg.kernels.ProposalScorer;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmTrainer;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.proposals.ProposalCache;
import io.wiseseg.proposals.SelectiveSearch;
import io.wiseseg.pseudo.InstanceNms;
import io.wiseseg.pseudo.PrmEvidence;
import io.wiseseg.pseudo.PseudoLabeller;
import io.wiseseg.pseudo.RuleSettings;
import io.wiseseg.pseudo.SelectionRule;
import io.wiseseg.pseudo.SelectionRules;
import io.wiseseg.util.AtomicFiles;
import io.wiseseg.util.TorchRuntime;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
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

/**
 * {@code wiseseg demo}: the pipeline end to end on the embedded synthetic benchmark: generate the
 * data, train the PRM classifier on image-level labels, turn its peaks into pseudo masks with
 * proposals, train a Mask R-CNN on them (and one on the ground truth, the upper bound), and score
 * all of them (mAP at IoU 0.25 / 0.5 / 0.75 and ABO) next to the ground-truth oracles. Every stage
 * resumes from what an earlier run left in --out.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the WISE pipeline on the synthetic benchmark: data → PRM classifier → pseudo masks → "
                + "Mask R-CNN on the pseudo masks (and on the GT masks, the upper bound) → evaluation, with an HTML "
                + "report and overlay PNGs. Resumes from what an earlier run left in --out.")
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", defaultValue = "wiseseg-demo", paramLabel = "DIR",
            description = "Working folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "A first look in about 4½ minutes: 200 images (20 val, a noisy table), more epochs each.")
    boolean quick;

    @Option(names = "--images", description = "Synthetic images, a tenth of them val (default: 1000, --quick: 200).")
    Integer images;

    @Option(names = "--epochs", description = "Classifier epochs (default: 12, --quick: 30: few images, so more passes).")
    Integer epochs;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the data and the training (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rule", defaultValue = "iou", completionCandidates = RuleNames.class,
            description = "Pseudo-mask rule, one of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String rule;

    @Option(names = "--overlays", defaultValue = "8", description = "Overlay PNGs to write (default: ${DEFAULT-VALUE}).")
    int overlays;

    @Option(names = "--maskrcnn-epochs", description = "Mask R-CNN epochs (default: 4, --quick: 8).")
    Integer maskRcnnEpochs;

    @Option(names = "--no-upper-bound", description = "Skip the fully supervised Mask R-CNN (trained on the GT masks).")
    boolean noUpperBound;

    static final int SIZE = 160, MAX_INSTANCES = 4, OUTPUT_STRIDE = 16;
    /** The best-IoU rule's blur (× the image side) and threshold (× the blurred map's maximum). */
    static final double MAP_BLUR = 0.02, MAP_FRACTION = 0.5;

    @Override
    public Integer call() throws IOException {
        RuleNames.check(rule);
        int n = images != null ? images : quick ? 200 : 1000;
        int e = epochs != null ? epochs : quick ? 30 : 12;
        PrintWriter w = spec.commandLine().getOut();
        Files.createDirectories(out);
        checkSettings(n, e, maskRcnnEpochs());
        Map<String, Double> stageTimes = new LinkedHashMap<>();
        long t0 = System.nanoTime();
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
        stageTimes.put("data", seconds(t0));
        say(w, "1/5 data: %d synthetic images (%d train, %d val) in %s", n, voc.labelled("train").size(),
                voc.labelled("val").size(), dataDir);

        // 2. classifier, on image-level labels only
        t0 = System.nanoTime();
        Path prmDir = out.resolve("prm");
        PrmConfig config = new PrmConfig("resnet18", 16, voc.classes().names(), null, dataDir.toAbsolutePath().toString(),
                "train", e, 16, SIZE, 1.25, 0.5, 0.02, 1.0, true, 0.9, 1e-4, seed, 100, OUTPUT_STRIDE);
        PeakFinder finder = new PeakFinder(Device.cpu());
        PrmTrainer.Trained trained;
        try (ProgressBarListener bar = new ProgressBarListener()) {
            trained = new PrmTrainer(config, finder).train(voc, prmDir,
                    Files.exists(prmDir.resolve(PrmCheckpoint.STATE)), bar);
        }
        List<Double> losses = trained.state().losses();
        stageTimes.put("PRM classifier", seconds(t0));
        say(w, "2/5 PRM classifier (ResNet-18/16, %d px, %d epochs): loss %.3f → %.3f, checkpoint %s", SIZE, e,
                mean(losses.subList(0, Math.min(10, losses.size()))),
                mean(losses.subList(Math.max(0, losses.size() - 10), losses.size())), prmDir);

        // 3. pseudo masks for the val images (scored below) and the train images (a Mask R-CNN's targets).
        // From here on the tensors are small (one image, a narrow network): one LibTorch thread
        // instead of two makes the response maps ~20× faster on 2 cores (a 2-thread parallel
        // region on tiny tensors mostly waits; measured in bench/RESULTS.md). The classifier's
        // batches of 16 above did train faster on two. Our native kernels keep their own threads.
        org.bytedeco.pytorch.global.torch.set_num_threads(1);
        t0 = System.nanoTime();
        PeakResponseMaps prm = new PeakResponseMaps(trained.network(), new PeakStimulation(finder),
                PeakResponseMaps.DEFAULT_CLASS_THRESHOLD, 0f);
        SelectionRule selection = SelectionRules.create(rule, new RuleSettings(Double.NEGATIVE_INFINITY, false,
                MAP_BLUR, MAP_FRACTION, 100));
        PseudoLabeller labeller = new PseudoLabeller(selection, selection.instanceNmsByDefault() ? InstanceNms.prm() : null,
                new ProposalScorer(Device.cpu()));
        ProposalCache proposals = new ProposalCache(out.resolve("proposals"),
                new SelectiveSearch(SelectiveSearch.Options.fast()));
        // seeds at the maxima of the peak response maps, as WISE places its points, from the peaks
        // of each image's labelled classes (the weak supervision)
        PrmEvidence evidence = new PrmEvidence(voc, trained.network(), prm, SIZE, proposals,
                PrmEvidence.needsOf(selection, PrmEvidence.Point.RESPONSE_MAX), PrmEvidence.Point.RESPONSE_MAX, true);
        List<Integer> categories = CocoDataset.defaultCategoryIds(voc.classes());
        Map<String, Path> pseudo = new LinkedHashMap<>();
        for (String split : List.of("val", "train")) {
            Path file = out.resolve("pseudo-" + rule + "-" + split + ".json");
            try (ProgressBarListener bar = new ProgressBarListener()) {
                labeller.labelSplit(voc.labelled(split), evidence, categories, file, bar);
            }
            pseudo.put(split, file);
        }
        say(w, "3/5 pseudo masks (%s): %s, %s", labeller.description(), pseudo.get("val"), pseudo.get("train"));
        if (labeller.times().images() > 0) {
            say(w, "    per image: %s; then %s", evidence.times().summary(), labeller.times().summary());
        }

        stageTimes.put("pseudo masks", seconds(t0));

        // 4. Mask R-CNN trained on the train split's pseudo masks (WISE), and on its ground truth
        //    (the fully supervised upper bound)
        int me = maskRcnnEpochs();
        t0 = System.nanoTime();
        // both start from the classifier's backbone, trained on the same images' image-level labels
        ResNet start = trained.network().backbone();
        List<ImagePrediction> wise = maskRcnn(voc, TrainingExamples.of(voc, dataDir, "train", pseudo.get("train")),
                start, out.resolve("maskrcnn-" + rule), me, "Mask R-CNN on pseudo masks");
        stageTimes.put("Mask R-CNN on pseudo masks (train + predict)", seconds(t0));
        say(w, "4/5 Mask R-CNN (small ResNet-18-FPN, %d px, %d epochs) on the pseudo masks: %s", SIZE, me,
                out.resolve("maskrcnn-" + rule));
        List<ImagePrediction> upper = null;
        if (!noUpperBound) {
            t0 = System.nanoTime();
            upper = maskRcnn(voc, TrainingExamples.of(voc, dataDir, "train", null), start, out.resolve("maskrcnn-gt"),
                    me, "Mask R-CNN on GT masks");
            stageTimes.put("Mask R-CNN on GT masks (train + predict)", seconds(t0));
            say(w, "    upper bound: the same Mask R-CNN on the ground-truth masks: %s", out.resolve("maskrcnn-gt"));
        }

        // 5. evaluation on val, next to the oracles
        List<AnnotatedImage> truth = voc.annotated("val");
        CocoDataset asCoco = new CocoDataset(voc.classes(), categories, truth, Map.of());
        List<ImagePrediction> pseudoVal = CocoJson.readResults(pseudo.get("val"), asCoco);
        Map<String, List<ImagePrediction>> rows = new LinkedHashMap<>();
        rows.put(PSEUDO_ROW, pseudoVal);
        rows.put(WISE_ROW, wise);
        if (upper != null) {
            rows.put(UPPER_ROW, upper);
        }
        rows.put("oracle: GT boxes as masks", Baselines.groundTruthBoxes(truth));
        rows.put("oracle: GT masks", Baselines.groundTruthMasks(truth));
        ObjectNode metrics = new ObjectMapper().createObjectNode();
        Map<String, double[]> table = new LinkedHashMap<>();
        for (var row : rows.entrySet()) {
            EvaluationReport ap = new ReferenceAp().evaluate(GroundTruth.of(truth), row.getValue(), voc.classes());
            EvaluationReport abo = new Abo().evaluate(GroundTruth.of(truth), row.getValue(), voc.classes());
            table.put(row.getKey(), new double[] {100 * ap.mean()[0], 100 * ap.mean()[1], 100 * ap.mean()[2],
                    100 * abo.mean()[0]});
            ObjectNode m = metrics.putObject(row.getKey());
            m.set("reference", ap.toJsonNode());
            m.set("abo", abo.toJsonNode());
        }
        w.println();
        w.printf("%-42s %7s %7s %7s %7s%n", "val (" + truth.size() + " images)", "AP25", "AP50", "AP75", "ABO");
        table.forEach((name, v) -> w.printf("%-42s %7.1f %7.1f %7.1f %7.1f%n", name, v[0], v[1], v[2], v[3]));
        w.println();
        List<String> findings = DemoReport.findings(table, PSEUDO_ROW, WISE_ROW, upper != null ? UPPER_ROW : null);
        findings.forEach(w::println);
        w.println();
        Path metricsFile = out.resolve("metrics-" + rule + ".json");
        writeJson(metricsFile, metrics);

        Path overlayDir = out.resolve("overlays-" + rule);
        Map<String, List<ImagePrediction>> panels = new LinkedHashMap<>();
        panels.put("pseudo masks (" + rule + ")", pseudoVal);
        panels.put("Mask R-CNN on pseudo masks", onlyConfident(wise));
        if (upper != null) {
            panels.put("Mask R-CNN on GT masks", onlyConfident(upper));
        }
        List<Path> shown = writeOverlays(voc, truth, panels, overlayDir);
        Path report = out.resolve("report-" + rule + ".html");
        DemoReport.write(report, new DemoReport.Content("WISE demo, rule " + rule, settings(n, e, me), table,
                findings, stageTimes, panelTitles(panels), shown));
        say(w, "5/5 metrics in %s; report in %s (%d overlays: %s)", metricsFile, report, shown.size(),
                String.join(" | ", panelTitles(panels)));
        return 0;
    }

    static final String PSEUDO_ROW = "pseudo masks", WISE_ROW = "Mask R-CNN on pseudo masks (WISE)",
            UPPER_ROW = "Mask R-CNN on GT masks (upper bound)";

    /** Mask R-CNN detections shown in overlays: score at least 0.5 (all of them are scored). */
    private static List<ImagePrediction> onlyConfident(List<ImagePrediction> predictions) {
        return predictions.stream().map(p -> new ImagePrediction(p.imageId(), p.height(), p.width(),
                p.instances().stream().filter(i -> i.score() >= 0.5).toList())).toList();
    }

    private static List<String> panelTitles(Map<String, List<ImagePrediction>> panels) {
        List<String> titles = new java.util.ArrayList<>(List.of("ground truth"));
        titles.addAll(panels.keySet());
        return titles;
    }

    private int maskRcnnEpochs() {
        return maskRcnnEpochs != null ? maskRcnnEpochs : quick ? 8 : 4;
    }

    /**
     * Trains (or resumes) a small Mask R-CNN in {@code dir} and predicts the val split; a
     * finished run's predictions are read back instead.
     */
    private List<ImagePrediction> maskRcnn(VocDataset voc, List<MaskRcnnTrainer.Example> examples, ResNet start,
            Path dir, int epochs, String what) throws IOException {
        Path predictions = dir.resolve("predictions-val.json");
        List<AnnotatedImage> val = voc.annotated("val");
        CocoDataset asCoco = new CocoDataset(voc.classes(), CocoDataset.defaultCategoryIds(voc.classes()), val, Map.of());
        if (Files.isRegularFile(predictions)) {
            return CocoJson.readResults(predictions, asCoco);
        }
        org.bytedeco.pytorch.global.torch.manual_seed(seed);
        MaskRcnnConfig config = MaskRcnnConfig.small(voc.classes().size() + 1).withSizes(SIZE, SIZE)
                .withTrainableBackboneLayers(5);
        MaskRcnn net = new MaskRcnn(config, Device.cpu());
        if (!Files.exists(dir.resolve(MaskRcnnTrainer.STATE_FILE))) { // else resumed from dir's checkpoint
            MaskRcnnWeights.loadBackbone(net, start, "the PRM classifier's backbone");
        }
        // warm-up: 100 iterations, or an eighth of a short run's (a quick run has ~170 in all)
        int steps = epochs * ((examples.size() + 3) / 4);
        MaskRcnnTrainer.Options options = MaskRcnnTrainer.Options.wise(epochs, 4, 0.02, Math.min(100, steps / 8), true,
                seed);
        try (ProgressBarListener bar = new ProgressBarListener()) {
            new MaskRcnnTrainer(net, voc.classes(), options, dir).train(examples, true, new Prefixed(bar, what));
        }
        Predictor predictor = new Predictor(net);
        List<ImagePrediction> out = new java.util.ArrayList<>();
        try (ProgressBarListener bar = new ProgressBarListener()) {
            for (AnnotatedImage a : val) {
                out.add(predictor.predict(a.image().id(), voc.readImage(a.image())));
                bar.progress(what + ": predict val", out.size(), val.size());
            }
        }
        CocoJson.writeResults(predictions, out, voc.classes());
        return out;
    }

    /** Names the stage in front of the trainer's own progress labels. */
    private record Prefixed(io.wiseseg.data.ProgressListener inner, String prefix) implements io.wiseseg.data.ProgressListener {
        @Override
        public void progress(String task, long done, long total) {
            inner.progress(prefix + ": " + task, done, total);
        }
    }

    private Map<String, Object> settings(int n, int e, int me) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("images", n + " synthetic, " + SIZE + "×" + SIZE + ", up to " + MAX_INSTANCES + " objects, seed " + seed);
        m.put("PRM classifier", "ResNet-18 at width 16, output stride " + OUTPUT_STRIDE + ", from scratch, " + e + " epochs");
        m.put("pseudo masks", "rule " + rule + ", seeds from the peaks of each image's labelled classes, "
                + "selective search (fast) proposals");
        m.put("Mask R-CNN", "ResNet-18-FPN at width 16, backbone from the PRM classifier, " + me
                + " epochs, batch 4, lr 0.02, " + SIZE + " px");
        return m;
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** A folder made with other settings would mix runs: refuse it. */
    private void checkSettings(int n, int e, int me) throws IOException {
        ObjectNode want = new ObjectMapper().createObjectNode().put("images", n).put("epochs", e)
                .put("maskRcnnEpochs", me).put("outputStride", OUTPUT_STRIDE)
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

    /** One PNG per val image: ground truth, then each panel's instances, side by side. */
    private List<Path> writeOverlays(VocDataset voc, List<AnnotatedImage> truth,
            Map<String, List<ImagePrediction>> panels, Path dir) {
        System.setProperty("java.awt.headless", "true");
        List<Path> written = new java.util.ArrayList<>();
        for (int i = 0; i < truth.size() && written.size() < overlays; i++) {
            AnnotatedImage a = truth.get(i);
            var rgb = voc.readImage(a.image());
            Overlay.Style style = Overlay.Style.forSize(rgb.width(), rgb.height(), true);
            List<BufferedImage> parts = new java.util.ArrayList<>();
            parts.add(Overlay.render(rgb, a.instances(), a.voidMask(), voc.classes(), style));
            for (List<ImagePrediction> p : panels.values()) {
                parts.add(Overlay.render(rgb, p.get(i).instances(), null, voc.classes(), style));
            }
            List<String> titles = panelTitles(panels);
            int gap = 8, header = 22, width = parts.stream().mapToInt(BufferedImage::getWidth).sum() + gap * (parts.size() - 1);
            BufferedImage all = new BufferedImage(width, header + parts.get(0).getHeight(), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = all.createGraphics();
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, all.getWidth(), all.getHeight());
            g.setRenderingHint(java.awt.RenderingHints.KEY_TEXT_ANTIALIASING, java.awt.RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 14));
            int x = 0;
            for (int p = 0; p < parts.size(); p++) {
                g.setColor(java.awt.Color.BLACK);
                g.drawString(titles.get(p), x + 2, header - 6);
                g.drawImage(parts.get(p), x, header, null);
                x += parts.get(p).getWidth() + gap;
            }
            g.dispose();
            Path file = dir.resolve(a.image().id() + ".png");
            Overlay.writePng(all, file);
            written.add(file);
        }
        return written;
    }

    private static void writeJson(Path file, Object value) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.write(file, tmp -> json.writeValue(tmp.toFile(), value));
    }

    private static void say(PrintWriter w, String format, Object... args) {
        w.printf(format + "%n", args);
        w.flush();
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
