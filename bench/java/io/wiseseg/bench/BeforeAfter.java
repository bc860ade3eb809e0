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
import java.util.List;
import java.util.Locale;

/**
 * Alternates {@link MaskRcnnLatency} in two JVMs, one per build ("before" and "after"), so that
 * both see the same load on a shared machine: each round runs one inference on each side, the
 * side that goes first switching every round. Prints a markdown table of medians, their ratio and
 * the single runs. Needs no LibTorch itself; bench/maskrcnn_before_after.sh builds the classpaths.
 *
 * <p>Args: java-executable before-classpath after-classpath runs model...
 */
public final class BeforeAfter {
    public static void main(String[] args) throws Exception {
        String java = args[0], before = args[1], after = args[2];
        int runs = Integer.parseInt(args[3]);
        List<String> models = List.of(args).subList(4, args.length);
        System.out.println("load average before: " + loadAverage());
        List<String> rows = new ArrayList<>();
        for (String model : models) {
            try (Side b = Side.start(java, before, model); Side a = Side.start(java, after, model)) {
                List<Double> tb = new ArrayList<>(), ta = new ArrayList<>();
                int db = -1, da = -1;
                for (int i = 0; i < runs; i++) {
                    for (Side s : i % 2 == 0 ? List.of(b, a) : List.of(a, b)) {
                        String[] r = s.run();
                        (s == b ? tb : ta).add(Double.parseDouble(r[0]));
                        if (s == b) {
                            db = Integer.parseInt(r[1]);
                        } else {
                            da = Integer.parseInt(r[1]);
                        }
                    }
                    System.err.printf(Locale.ROOT, "%s round %d: before %.0f ms, after %.0f ms%n", model, i + 1,
                            tb.getLast(), ta.getLast());
                }
                rows.add(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.3f | %s | %s | %d / %d |", model, median(tb),
                        median(ta), median(ta) / median(tb), rounded(tb), rounded(ta), db, da));
            }
        }
        System.out.println();
        System.out.println("| model | before: median (ms) | after: median (ms) | after / before | before: runs (ms) "
                + "| after: runs (ms) | detections before / after |");
        System.out.println("|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);
        System.out.println();
        System.out.println("load average after: " + loadAverage());
    }

    /** One build's harness as a child JVM that answers "run" with "milliseconds detections". */
    private record Side(Process process, BufferedReader out, PrintWriter in) implements AutoCloseable {
        static Side start(String java, String classpath, String model) throws IOException {
            Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow", "-Xmx8g", "-cp", classpath,
                    "io.wiseseg.bench.MaskRcnnLatency", model, "2")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            if (!"ready".equals(first)) {
                p.destroy();
                throw new IllegalStateException("harness on " + classpath + " did not start: " + first);
            }
            return new Side(p, out, new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8));
        }

        String[] run() throws IOException {
            in.println("run");
            String line = out.readLine();
            if (line == null) {
                throw new IllegalStateException("harness exited");
            }
            return line.trim().split(" ");
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
