package io.wiseseg.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Alternates {@link MaskRcnnLatency} in two JVMs, one per build ("before" and "after"), so that
 * both see the same load on a shared machine: each round runs one inference on each side, the
 * side that goes first switching every round. Prints a markdown table of medians, their ratio and
 * the single runs, then each stage's medians (the detector's trace spans). Needs no LibTorch
 * itself; bench/maskrcnn_before_after.sh builds the classpaths.
 *
 * <p>Args: java-executable before-classpath after-classpath runs model...
 */
public final class BeforeAfter {
    public static void main(String[] args) throws Exception {
        String java = args[0], before = args[1], after = args[2];
        int runs = Integer.parseInt(args[3]);
        List<String> models = List.of(args).subList(4, args.length);
        System.out.println("load average before: " + loadAverage());
        List<String> rows = new ArrayList<>(), stageRows = new ArrayList<>();
        for (String model : models) {
            try (Side b = Side.start(java, before, model); Side a = Side.start(java, after, model)) {
                for (int i = 0; i < runs; i++) {
                    for (Side s : i % 2 == 0 ? List.of(b, a) : List.of(a, b)) {
                        s.run();
                    }
                    System.err.printf(Locale.ROOT, "%s round %d: before %.0f ms, after %.0f ms%n", model, i + 1,
                            b.times.getLast(), a.times.getLast());
                }
                rows.add(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.3f | %s | %s | %d / %d |", model,
                        median(b.times), median(a.times), median(a.times) / median(b.times), rounded(b.times),
                        rounded(a.times), b.detections, a.detections));
                for (String stage : b.stages.keySet()) {
                    List<Double> sa = a.stages.get(stage), sb = b.stages.get(stage);
                    if (sa != null) {
                        stageRows.add(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.2f |", model, stage,
                                median(sb), median(sa), median(sa) / median(sb)));
                    }
                }
            }
        }
        System.out.println();
        System.out.println("| model | before: median (ms) | after: median (ms) | after / before | before: runs (ms) "
                + "| after: runs (ms) | detections before / after |");
        System.out.println("|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println("| model | stage (trace span) | before: median (ms) | after: median (ms) | after / before |");
        System.out.println("|---|---|---|---|---|");
        stageRows.forEach(System.out::println);
        System.out.println();
        System.out.println("load average after: " + loadAverage());
    }

    /** One build's harness as a child JVM; collects its times, detections and stage times. */
    private static final class Side implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final PrintWriter in;
        final List<Double> times = new ArrayList<>();
        final Map<String, List<Double>> stages = new LinkedHashMap<>();
        int detections = -1;

        private Side(Process process) {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        }

        static Side start(String java, String classpath, String model) throws IOException {
            Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow", "-Xmx8g", "-cp", classpath,
                    "io.wiseseg.bench.MaskRcnnLatency", model, "2")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            Side s = new Side(p);
            String first = s.out.readLine();
            if (!"ready".equals(first)) {
                p.destroy();
                throw new IllegalStateException("harness on " + classpath + " did not start: " + first);
            }
            return s;
        }

        /** One inference: "milliseconds, detections, stage=milliseconds..." (a stage met twice is summed). */
        void run() throws IOException {
            in.println("run");
            String line = out.readLine();
            if (line == null) {
                throw new IllegalStateException("harness exited");
            }
            String[] f = line.split("\t");
            times.add(Double.parseDouble(f[0]));
            detections = Integer.parseInt(f[1]);
            Map<String, Double> once = new LinkedHashMap<>();
            for (int k = 2; k < f.length; k++) {
                int eq = f[k].lastIndexOf('=');
                once.merge(f[k].substring(0, eq), Double.parseDouble(f[k].substring(eq + 1)), Double::sum);
            }
            once.forEach((stage, ms) -> stages.computeIfAbsent(stage, x -> new ArrayList<>()).add(ms));
        }

        @Override
        public void close() throws Exception {
            in.println("quit");
            process.waitFor();
        }
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }

    private static String rounded(List<Double> v) {
        return String.join(", ", v.stream().map(x -> Long.toString(Math.round(x))).toList());
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
