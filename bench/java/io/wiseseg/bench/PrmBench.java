package io.wiseseg.bench;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.prm.Peak;
import io.wiseseg.prm.PeakResponseMaps;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.util.TorchRuntime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Peak response maps per image: one forward pass plus K peak back-propagations, batched (one
 * backward pass of batch K through the frozen network) against the reference's loop (one
 * autograd backward per peak, graph retained, weights frozen). Prints a markdown table of
 * medians and the loop / batched ratio.
 *
 * <p>Run: {@code bench/run.sh PrmBench [backbone] [size] [repeats] [threads] [K,K,...]}, e.g.
 * {@code bench/run.sh PrmBench resnet18 224 3 2 1,8,32}; the reference loop in PyTorch:
 * {@code /usr/bin/python3 bench/reference/prm_reference.py resnet18 224 3 2 1,8,32}.
 */
public final class PrmBench {
    public static void main(String[] args) {
        String backbone = args.length > 0 ? args[0] : "resnet18";
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 448;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int[] ks = args.length > 4 ? Arrays.stream(args[4].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 8, 32};
        TorchRuntime.ensureLoaded();
        torch.set_num_threads(threads);
        torch.manual_seed(0);
        PrmNetwork net = new PrmNetwork(ResNet.Depth.parse(backbone), 64, 20);
        Tensor image = torch.randn(1, 3, size, size);
        net.calibrateBatchNorm(image);
        PeakResponseMaps prm = new PeakResponseMaps(net, new PeakStimulation(new PeakFinder(Device.cpu())),
                Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
        List<Peak> all = prm.peaks(image).peaks();
        System.out.printf("PrmBench: %s (torchvision widths, random weights, BN calibrated), 1×3×%d×%d, 20 classes, "
                + "%d LibTorch threads, median of %d; %d peaks available%n%n", backbone, size, size, threads, repeats, all.size());
        System.out.println("| K peaks | batched (ms) | loop (ms) | loop / batched |");
        System.out.println("|---:|---:|---:|---:|");
        for (int k : ks) {
            List<Peak> peaks = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                peaks.add(all.get((int) ((long) i * all.size() / k)));
            }
            double batched = time(repeats, () -> prm.compute(image, peaks, PeakResponseMaps.Mode.BATCHED));
            double loop = time(repeats, () -> prm.compute(image, peaks, PeakResponseMaps.Mode.LOOP));
            System.out.printf("| %d | %.0f | %.0f | %.2f× |%n", k, batched, loop, loop / batched);
        }
    }

    private static double time(int repeats, Runnable r) {
        try (PointerScope s = new PointerScope()) {
            r.run(); // warm-up
        }
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            try (PointerScope s = new PointerScope()) {
                long t0 = System.nanoTime();
                r.run();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
        }
        Arrays.sort(ms);
        return ms[repeats / 2];
    }
}
