package io.wiseseg.bench;

import io.wiseseg.data.ClassSet;
import io.wiseseg.kernels.Device;
import io.wiseseg.maskrcnn.FormulaWeights;
import io.wiseseg.maskrcnn.MaskRcnn;
import io.wiseseg.maskrcnn.MaskRcnnCheckpoint;
import io.wiseseg.maskrcnn.MaskRcnnConfig;
import io.wiseseg.maskrcnn.MaskRcnnWeights;
import io.wiseseg.util.Tensors;
import io.wiseseg.util.TorchRuntime;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Writes what bench/serve_load.sh serves: {@code OUT/r50}, a run folder of torchvision's
 * maskrcnn_resnet50_fpn (91 classes, 800-pixel short side) holding the formula weights of
 * tests/fixtures/make_maskrcnn_fixture.py, which the Python baseline
 * (bench/reference/serve_baseline.py) builds too, so both servers run the same weights; and
 * {@code OUT/formula.png}, the 480×640 formula image of {@link MaskRcnnBench} (100 detections on
 * both sides, their scores nearly all tied, so the two lists hold different boxes among the ties:
 * that these are the same weights and model is what MaskRcnnParityTest checks, on an image whose
 * scores do not tie). With {@code --small}, also {@code OUT/small}: the small model
 * ({@link MaskRcnnConfig#small}, 7 classes) on formula weights, for machines without a demo run.
 *
 * <p>Run: {@code bench/run.sh ServeModels OUT [--small]}.
 */
public final class ServeModels {
    static final int H = 480, W = 640, CLASSES = 91;

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        boolean small = args.length > 1 && args[1].equals("--small");
        TorchRuntime.ensureLoaded();
        Files.createDirectories(out);
        write(MaskRcnnConfig.torchvision(CLASSES), out.resolve("r50"));
        if (small) {
            write(MaskRcnnConfig.small(7), out.resolve("small"));
        }
        float[] v = Tensors.toFloats(FormulaWeights.image(H, W)); // 3×H×W in [0, 1]
        BufferedImage png = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    rgb = (rgb << 8) | Math.clamp(Math.round(v[(c * H + y) * W + x] * 255f), 0, 255);
                }
                png.setRGB(x, y, rgb);
            }
        }
        ImageIO.write(png, "png", out.resolve("formula.png").toFile());
        System.out.println("wrote " + out);
    }

    private static void write(MaskRcnnConfig config, Path dir) throws Exception {
        MaskRcnn model = new MaskRcnn(config, Device.cpu());
        MaskRcnnWeights.load(model, FormulaWeights.stateDict(model), "formula weights");
        List<String> names = new ArrayList<>();
        for (int c = 1; c < config.numClasses(); c++) {
            names.add("class" + c);
        }
        new MaskRcnnCheckpoint(model, new ClassSet(names)).save(dir,
                Map.of("weights", "formula weights of tests/fixtures/make_maskrcnn_fixture.py"));
    }
}
