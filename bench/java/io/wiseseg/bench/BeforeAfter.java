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
 * Alternates {@link MaskRcnnLatency} between two builds ("before" and "after") so that both see
 * the same load on a shared machine: each round starts a fresh JVM per side, one after the other
 * (the side that goes first switching every round), and takes the median of {@link #PER_JVM}
 * inferences after the harness's warm-up. Fresh JVMs, not one long-lived JVM per side: two JVMs
 * of the same build, started once and alternated, differed by up to 28% here (one process's
 * state against the other's), which would pass for a difference between the builds. Prints a
 * markdown table of the medians over rounds of the wall time and of the process's CPU time (all
 * threads, user + system: less disturbed by other work on a shared machine), their ratios and
 * each round's wall time, then each stage's medians (the detector's trace spans). Needs no
 * LibTorch itself; bench/maskrcnn_before_after.sh builds the classpaths.
 *
 * <p>Args: java-executable before-classpath after-classpath runs model...
 */
public final class BeforeAfter {
    /** Inferences timed in each JVM; the JVM's median is its round's value. */
    static final int PER_JVM = 3;

    public static void main(String[] args) throws Exception {
        String java = args[0], before = args[1], after = args[2];
        int runs = Integer.parseInt(args[3]);
        List<String> models = List.of(args).subList(4, args.length);
        System.out.println("load average before: " + loadAverage());
        List<String> rows = new ArrayList<>(), stageRows = new ArrayList<>();
        for (String model : models) {
            Side b = new Side(java, before, model), a = new Side(java, after, model);
            for (int i = 0; i < runs; i++) {
                for (Side s : i % 2 == 0 ? List.of(b, a) : List.of(a, b)) {
                    s.runInAFreshJvm();
                }
                System.err.printf(Locale.ROOT, "%s round %d: before %.0f ms, after %.0f ms%n", model, i + 1,
                        b.times.getLast(), a.times.getLast());
            }
            rows.add(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.3f | %.0f | %.0f | %.3f | %s | %s | %d / %d |",
                    model, median(b.times), median(a.times), median(a.times) / median(b.times), median(b.cpu),
                    median(a.cpu), median(a.cpu) / median(b.cpu), rounded(b.times), rounded(a.times), b.detections,
                    a.detections));
            for (String stage : b.stages.keySet()) {
                List<Double> sa = a.stages.get(stage), sb = b.stages.get(stage);
                if (sa != null) {
                    stageRows.add(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.2f |", model, stage,
                            median(sb), median(sa), median(sa) / median(sb)));
                }
            }
        }
        System.out.println();
        System.out.println("| model | wall before (ms) | wall after (ms) | after / before | CPU before (ms) "
                + "| CPU after (ms) | after / before | wall, each round: before | after | detections before / after |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println("| model | stage (trace span) | before: median (ms) | after: median (ms) | after / before |");
        System.out.println("|---|---|---|---|---|");
        stageRows.forEach(System.out::println);
        System.out.println();
        System.out.println("load average after: " + loadAverage());
    }

    /** One build's harness, run as child JVMs that answer "run"; collects times, detections and stage times. */
    private static final class Side {
        final String java, classpath, model;
        final List<Double> times = new ArrayList<>(), cpu = new ArrayList<>();
        final Map<String, List<Double>> stages = new LinkedHashMap<>();
        int detections = -1;

        Side(String java, String classpath, String model) {
            this.java = java;
            this.classpath = classpath;
            this.model = model;
        }

        /**
         * Starts the harness (it loads the model and runs its warm-up), times {@link #PER_JVM}
         * inferences and ends it; keeps their medians. Each reply: "milliseconds, detections, CPU
         * milliseconds, stage=milliseconds..." (a stage met twice in one inference is summed).
         */
        void runInAFreshJvm() throws Exception {
            Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow", "-Xmx8g", "-cp", classpath,
                    "io.wiseseg.bench.MaskRcnnLatency", model, "2")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            PrintWriter in = new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8);
            String first = out.readLine();
            if (!"ready".equals(first)) {
                p.destroy();
                throw new IllegalStateException("harness on " + classpath + " did not start: " + first);
            }
            List<Double> mine = new ArrayList<>(), myCpu = new ArrayList<>();
            Map<String, List<Double>> myStages = new LinkedHashMap<>();
            for (int r = 0; r < PER_JVM; r++) {
                in.println("run");
                String line = out.readLine();
                if (line == null) {
                    throw new IllegalStateException("harness exited");
                }
                String[] f = line.split("\t");
                mine.add(Double.parseDouble(f[0]));
                detections = Integer.parseInt(f[1]);
                myCpu.add(Double.parseDouble(f[2]));
                Map<String, Double> once = new LinkedHashMap<>();
                for (int k = 3; k < f.length; k++) {
                    int eq = f[k].lastIndexOf('=');
                    once.merge(f[k].substring(0, eq), Double.parseDouble(f[k].substring(eq + 1)), Double::sum);
                }
                once.forEach((stage, ms) -> myStages.computeIfAbsent(stage, x -> new ArrayList<>()).add(ms));
            }
            in.println("quit");
            p.waitFor();
            times.add(median(mine));
            cpu.add(median(myCpu));
            myStages.forEach((stage, ms) -> stages.computeIfAbsent(stage, x -> new ArrayList<>()).add(median(ms)));
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
