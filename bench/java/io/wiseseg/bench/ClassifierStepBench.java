package io.wiseseg.bench;

import io.wiseseg.kernels.Device;
import io.wiseseg.kernels.PeakFinder;
import io.wiseseg.prm.PeakStimulation;
import io.wiseseg.prm.PrmNetwork;
import io.wiseseg.backbone.ResNet;
import io.wiseseg.util.CpuInfo;
import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Training steps per second of the demo's PRM classifier (ResNet-18 at width 16, output stride
 * 16, 6 classes, batch 16 of 160 × 160, BatchNorm training, SGD with momentum): forward, peak
 * stimulation, loss, backward, two optimiser steps, each in its own PointerScope, as PrmTrainer
 * does. Prints one markdown row with the CPU, the code paths, the thread count and the median
 * steps/s over windows, so runs under other environment settings (ATEN_CPU_CAPABILITY,
 * ONEDNN_MAX_CPU_ISA, OMP_WAIT_POLICY, a busy core) line up in one table.
 *
 * <p>Run: {@code bench/run.sh ClassifierStepBench [threads] [windows] [steps per window] [label]};
 * {@code bench/classifier_speed.sh} runs the whole grid.
 */
public final class ClassifierStepBench {
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int windows = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        String label = args.length > 3 ? args[3] : "";
        String described = CpuInfo.describe();
        torch.set_num_threads(threads);
        torch.manual_seed(0);
        PrmNetwork net = new PrmNetwork(ResNet.Depth.RESNET18, 16, 6, 16);
        net.setTrainable(true);
        net.setBatchNormTraining(true);
        PeakStimulation stimulation = new PeakStimulation(new PeakFinder(Device.cpu()));
        SGD backbone = sgd(net.backboneParameters()), head = sgd(net.classifierParameters());
        Tensor labels = torch.zeros(16, 6);
        labels.narrow(1, 0, 2).fill_(new org.bytedeco.pytorch.Scalar(1.0));
        double[] rates = new double[windows];
        for (int w = -1; w < windows; w++) { // window -1: warm-up
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor x = torch.rand(16, 3, 160, 160);
                    Tensor loss = PrmNetwork.loss(stimulation.apply(net.classResponseMaps(x)).aggregation(), labels);
                    backbone.zero_grad();
                    head.zero_grad();
                    loss.backward();
                    backbone.step();
                    head.step();
                }
            }
            if (w >= 0) {
                rates[w] = steps / ((System.nanoTime() - t0) / 1e9);
            }
        }
        Arrays.sort(rates);
        String omp = System.getenv("OMP_WAIT_POLICY");
        System.out.printf("| %s | %s | %s | %d | %s | %.2f | %.2f–%.2f |%n", label, described,
                Device.cpu().cpuIsa(), threads, omp == null ? "unset" : omp, rates[windows / 2], rates[0],
                rates[windows - 1]);
    }

    private static SGD sgd(org.bytedeco.pytorch.TensorVector params) {
        SGDOptions o = new SGDOptions(0.02);
        o.momentum().put(0.9);
        o.weight_decay().put(1e-4);
        return new SGD(params, o);
    }
}
