package io.wiseseg.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * PRM's peak stimulation, forward: the local maxima of class response maps (see
 * {@code ws_peak_find} in wiseseg_kernels.h for the exact rule, including ties: on a plateau
 * only the first pixel in row-major order is a peak, as PyTorch's max-pool indices decide).
 */
public final class PeakFinder {
    /** PRM's window. */
    public static final int DEFAULT_WINDOW = 3;

    private final Device home;

    /** Peaks on {@code device}'s kernels; maps that live on another device are found there. */
    public PeakFinder(Device device) {
        this.home = device;
    }

    public Device device() {
        return home;
    }

    /** Peaks of {@code maps} (N×C×H×W float32) at or above each map's median (PRM's default). */
    public Peaks find(Tensor maps, int window) {
        return find(maps, window, null);
    }

    /**
     * Peaks of {@code maps} at or above {@code thresholds} (one per map, N*C values), or each
     * map's median when {@code thresholds} is null.
     */
    public Peaks find(Tensor maps, int window, float[] thresholds) {
        Device device = home.follow(maps);
        MemorySegment mapsAddr = TensorAccess.address(maps, "maps", ScalarType.Float, 4, device);
        if (window < 1 || window % 2 == 0) {
            throw new IllegalArgumentException("window must be odd and >= 1, got " + window);
        }
        TensorAccess.requireNoNan(maps, "maps");
        long n = maps.size(0), c = maps.size(1), h = maps.size(2), w = maps.size(3);
        int mapCount = Math.toIntExact(n * c);
        if (thresholds != null && thresholds.length != mapCount) {
            throw new IllegalArgumentException("thresholds must have N*C = " + mapCount
                    + " values, got " + thresholds.length);
        }
        if (mapCount == 0 || h * w == 0) {
            float[] thr0 = thresholds != null ? thresholds.clone() : new float[mapCount];
            if (thresholds == null) {
                java.util.Arrays.fill(thr0, Float.NaN); // the median of no values
            }
            return new Peaks((int) n, (int) c, new int[0], new int[0], new int[0], new int[0],
                    new float[0], new float[mapCount], new int[mapCount], thr0);
        }
        Tensor thr = thresholds == null ? null : TensorAccess.fromFloats(thresholds, maps);
        // No two peaks touch (each is its window's strict first maximum), so a map holds at most
        // ceil(h/2)*ceil(w/2). Allocate that bound when it is moderate (no retry); otherwise start
        // smaller and retry once with the exact count.
        long bound = n * c * ((h + 1) / 2) * ((w + 1) / 2);
        long capacity = bound <= (1L << 22) ? bound : Math.max(1L << 22, n * c * 64);
        device.activate();
        if (device.kind() == Device.Kind.CPU) {
            return findOnCpu(device, mapsAddr, (int) n, (int) c, h, w, window, thr, capacity);
        }
        Tensor aggregation = TensorAccess.empty(maps, ScalarType.Float, mapCount);
        Tensor counts = TensorAccess.empty(maps, ScalarType.Int, mapCount);
        Tensor medians = TensorAccess.empty(maps, ScalarType.Float, mapCount);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_LONG);
            while (true) {
                Tensor peaks = TensorAccess.empty(maps, ScalarType.Int, capacity, 4);
                Tensor values = TensorAccess.empty(maps, ScalarType.Float, capacity);
                int status = device.lib.peakFind(mapsAddr, n, c, h, w,
                        window, TensorAccess.addressOrNull(thr), capacity,
                        TensorAccess.addressOrNull(peaks), TensorAccess.addressOrNull(values), count,
                        TensorAccess.addressOrNull(aggregation), TensorAccess.addressOrNull(counts),
                        TensorAccess.addressOrNull(medians), device.stream());
                device.lib.check(status, "ws_peak_find");
                long found = count.get(ValueLayout.JAVA_LONG, 0);
                if (found > capacity) {
                    capacity = found;
                    continue;
                }
                int k = Math.toIntExact(found);
                // copy out only the peaks found, not the whole capacity
                MemorySegment flat = k == 0 ? MemorySegment.NULL
                        : MemorySegment.ofArray(TensorAccess.toInts(peaks.narrow(0, 0, k)));
                float[] vals = k == 0 ? new float[0] : TensorAccess.toFloats(values.narrow(0, 0, k));
                return unpack((int) n, (int) c, k, flat, MemorySegment.ofArray(vals),
                        TensorAccess.toFloats(aggregation), TensorAccess.toInts(counts), TensorAccess.toFloats(medians));
            }
        }
    }

    /**
     * The CPU path writes into native scratch buffers kept per thread and reused from call to
     * call: fresh multi-megabyte outputs cost page faults on every call, and LibTorch tensors
     * around the kernel add allocations and copies (measured: 10–15 % of the kernel's time).
     */
    private Peaks findOnCpu(Device device, MemorySegment mapsAddr, int n, int c, long h, long w, int window, Tensor thr,
            long capacity) {
        int mapCount = n * c;
        Scratch s = scratch.get();
        while (true) {
            s.reserve(capacity, mapCount);
            int status = device.lib.peakFind(mapsAddr, n, c, h, w,
                    window, TensorAccess.addressOrNull(thr), capacity, s.peaks, s.values, s.count,
                    s.aggregation, s.counts, s.medians, device.stream());
            device.lib.check(status, "ws_peak_find");
            long found = s.count.get(ValueLayout.JAVA_LONG, 0);
            if (found > capacity) {
                capacity = found;
                continue;
            }
            return unpack(n, c, Math.toIntExact(found), s.peaks, s.values,
                    s.aggregation.asSlice(0, 4L * mapCount).toArray(ValueLayout.JAVA_FLOAT),
                    s.counts.asSlice(0, 4L * mapCount).toArray(ValueLayout.JAVA_INT),
                    s.medians.asSlice(0, 4L * mapCount).toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    /** k peaks as (batch, class, y, x) int quadruples and k values → the Java arrays of {@link Peaks}. */
    private static Peaks unpack(int n, int c, int k, MemorySegment quads, MemorySegment values, float[] aggregation,
            int[] counts, float[] medians) {
        int[] b = new int[k], cl = new int[k], ys = new int[k], xs = new int[k];
        float[] v = new float[k];
        for (int i = 0; i < k; i++) {
            b[i] = quads.getAtIndex(ValueLayout.JAVA_INT, 4L * i);
            cl[i] = quads.getAtIndex(ValueLayout.JAVA_INT, 4L * i + 1);
            ys[i] = quads.getAtIndex(ValueLayout.JAVA_INT, 4L * i + 2);
            xs[i] = quads.getAtIndex(ValueLayout.JAVA_INT, 4L * i + 3);
            v[i] = values.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        }
        return new Peaks(n, c, b, cl, ys, xs, v, aggregation, counts, medians);
    }

    /**
     * Native output buffers of one thread, grown on demand (to the largest call's worst case:
     * 20 bytes a possible peak) and freed once unreachable: a segment of an automatic arena
     * keeps it alive, and nothing else does.
     */
    private static final class Scratch {
        MemorySegment peaks, values, aggregation, counts, medians, count;
        private long capacity = -1;
        private int maps = -1;

        void reserve(long peakCapacity, int mapCount) {
            if (peakCapacity <= capacity && mapCount <= maps) {
                return;
            }
            long cap = Math.max(peakCapacity, capacity);
            int m = Math.max(mapCount, maps);
            Arena next = Arena.ofAuto();
            peaks = next.allocate(16L * Math.max(1, cap), 64);
            values = next.allocate(4L * Math.max(1, cap), 64);
            aggregation = next.allocate(4L * Math.max(1, m), 64);
            counts = next.allocate(4L * Math.max(1, m), 64);
            medians = next.allocate(4L * Math.max(1, m), 64);
            count = next.allocate(ValueLayout.JAVA_LONG);
            capacity = cap;
            maps = m;
        }
    }

    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);
}
