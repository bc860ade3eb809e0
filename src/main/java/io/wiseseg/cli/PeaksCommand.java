package io.wiseseg.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.data.ClassSet;
import io.wiseseg.data.Overlay;
import io.wiseseg.data.RgbImage;
import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.prm.ImageTensors;
import io.wiseseg.prm.Peak;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmCheckpoint;
import io.wiseseg.prm.PrmConfig;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.util.AtomicFiles;
import io.wiseseg.util.TorchRuntime;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.javacpp.PointerScope;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code wiseseg peaks}: class scores, peaks and peak response maps of one image. */
@Command(name = "peaks", mixinStandardHelpOptions = true,
        description = "Run a trained PRM classifier on one image: writes peaks.json (class scores, peaks with "
                + "their class, position and value) and one heat-map PNG per peak response map to --out.")
final class PeaksCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    TraceOption trace;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR|FILE",
            description = "Checkpoint directory of train-classifier (or its model.pt).")
    Path checkpoint;

    @Option(names = "--image", required = true, paramLabel = "FILE", description = "Image (PNG or JPEG).")
    Path image;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--image-size", description = "Longer side fed to the network, rounded to a multiple of 32 "
            + "(default: the training image size).")
    Integer imageSize;

    @Option(names = "--class-threshold", description = "Keep classes whose score is at least this (default: ${DEFAULT-VALUE}).")
    float classThreshold = PeakResponseMaps.DEFAULT_CLASS_THRESHOLD;

    @Option(names = "--peak-threshold", description = "Keep peaks above this response (default: ${DEFAULT-VALUE}).")
    float peakThreshold = PeakResponseMaps.DEFAULT_PEAK_THRESHOLD;

    @Option(names = "--loop", description = "One backward pass per peak (the reference's way) instead of one batched pass.")
    boolean loop;

    @Override
    public void run() {
        TorchRuntime.ensureLoaded(); // before any LibTorch class (see TorchRuntime)
        threads.apply();
        Device device = deviceOption.resolve();
        RgbImage rgb = read(image);
        PrmConfig config = PrmCheckpoint.config(checkpoint);
        PrmNetwork net = PrmCheckpoint.loadNetwork(checkpoint, device);
        ClassSet classes = new ClassSet(config.classes());
        int side = imageSize == null ? config.imageSize() : imageSize;
        int[] in = ImageTensors.inputSize(rgb.height(), rgb.width(), side);
        int inH = in[0], inW = in[1];
        PeakResponseMaps prm = new PeakResponseMaps(net, new PeakStimulation(new PeakFinder(device)),
                classThreshold, peakThreshold);
        PeakResponseMaps.Result r;
        List<float[]> maps = new ArrayList<>();
        try (PointerScope scope = new PointerScope()) { // the result's tensors live until here
            r = prm.compute(ImageTensors.normalised(rgb, inH, inW, false),
                    loop ? PeakResponseMaps.Mode.LOOP : PeakResponseMaps.Mode.BATCHED);
            for (int k = 0; k < r.peaks().size(); k++) {
                maps.add(r.map(k));
            }
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UserException("cannot create " + out + " (" + e.getMessage() + ")");
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("image", image.toString());
        root.put("checkpoint", checkpoint.toString());
        root.put("width", rgb.width()).put("height", rgb.height());
        root.put("input_width", inW).put("input_height", inH);
        root.put("class_threshold", classThreshold).put("peak_threshold", peakThreshold);
        ObjectNode scores = root.putObject("scores");
        for (int c = 0; c < classes.size(); c++) {
            scores.put(classes.name(c), r.scores()[c]);
        }
        ArrayNode peaks = root.putArray("peaks");
        for (int k = 0; k < r.peaks().size(); k++) {
            Peak p = r.peaks().get(k);
            int y = Math.min(rgb.height() - 1, (int) ((r.imageY(p) + 0.5) * rgb.height() / inH));
            int x = Math.min(rgb.width() - 1, (int) ((r.imageX(p) + 0.5) * rgb.width() / inW));
            String file = String.format("peak_%03d_%s.png", k, classes.name(p.classId()));
            peaks.addObject().put("class", classes.name(p.classId())).put("class_id", p.classId())
                    .put("y", y).put("x", x).put("value", p.value()).put("map_y", p.y()).put("map_x", p.x())
                    .put("response_map", file);
            BufferedImage heat = HeatMaps.render(rgb, maps.get(k), r.height(), r.width(), y, x);
            Overlay.writePng(heat, out.resolve(file));
        }
        try {
            AtomicFiles.write(out.resolve("peaks.json"), tmp -> json.writeValue(tmp.toFile(), root));
        } catch (IOException e) {
            throw new UserException("cannot write " + out.resolve("peaks.json") + " (" + e.getMessage() + ")");
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("%d peaks above the thresholds; peaks.json and %d response maps in %s%n", r.peaks().size(),
                r.peaks().size(), out);
        w.flush();
    }

    static RgbImage read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserException("--image: no such file: " + file);
        }
        try {
            BufferedImage img = ImageIO.read(file.toFile());
            if (img == null) {
                throw new UserException("--image: not a PNG or JPEG image: " + file);
            }
            return RgbImage.fromBufferedImage(img);
        } catch (IOException e) {
            throw new UserException("--image: cannot read " + file + " (" + e.getMessage() + ")");
        }
    }
}
