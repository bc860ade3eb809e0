package io.wiseseg.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.testing.TinyRun;
import io.wiseseg.testing.TraceFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wiseseg serve}: its flags' errors, and a real process that serves, then stops on SIGTERM with exit code 0. */
class ServeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void badFlagsFailInOneLine() {
        assertError(tmp + ": not a train-maskrcnn folder (no config.json)", "serve", "--checkpoint", tmp.toString(), "--port", "0");
        assertError("--max-batch must be at least 1, got 0", "serve", "--checkpoint", tmp.toString(), "--max-batch", "0");
        assertError("--max-batch-pixels must be at least 0 (0: no cap), got -1",
                "serve", "--checkpoint", tmp.toString(), "--max-batch-pixels", "-1");
        assertError("--workers must be at least 1, got 0", "serve", "--checkpoint", tmp.toString(), "--workers", "0");
        assertError("--port must be in 0..65535, got 70000", "serve", "--checkpoint", tmp.toString(), "--port", "70000");
        assertError("--device cuda1: expected cpu, cuda or cuda:N",
                "serve", "--checkpoint", tmp.toString(), "--device", "cuda1");
    }

    /** A child JVM runs the command; SIGTERM (Process.destroy) must stop it gracefully with exit code 0. */
    @Test
    void servesUntilSigtermThenExitsZero() throws Exception {
        Path run = TinyRun.dir();
        Path trace = tmp.resolve("serve-trace.json");
        byte[] jpeg = Files.readAllBytes(TinyRun.images().get(3));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--checkpoint", run.toString(), "--port", "0", "--threads", "1", "--trace", trace.toString());
        // output to a file: Process.destroy() closes the pipes, and the lines after SIGTERM matter
        Path log = tmp.resolve("serve.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = -1;
            long until = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (System.nanoTime() < until && p.isAlive() && !Files.readString(log).contains("wiseseg serve: ready")) {
                Thread.sleep(100);
            }
            String started = Files.readString(log);
            Matcher m = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/").matcher(started);
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
            assertTrue(port > 0 && started.contains("wiseseg serve: ready"), started);
            // the CPU's default cap on a batch's input pixels, resolved from --device
            assertTrue(started.contains("wiseseg serve: batches of up to 4 images and 1000000 input pixels, formed within 5 ms, 1 model thread"),
                    started);
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/segment"))
                    .header("Content-Type", "image/jpeg").timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().startsWith("[{\"image_id\":0,"), r.body());
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running 60 s after SIGTERM");
            String output = Files.readString(log);
            assertEquals(0, p.exitValue(), output);
            int stopping = output.indexOf("wiseseg serve: stopping (answering the requests in flight)\n");
            assertTrue(stopping > 0 && output.indexOf("wiseseg serve: stopped\n") > stopping, output);
            assertTraced(trace);
        } finally {
            p.destroyForcibly();
        }
    }

    /** The trace written after SIGTERM: the request on its own thread, its model run on the model thread. */
    private static void assertTraced(Path file) throws java.io.IOException {
        TraceFile t = TraceFile.read(file);
        t.assertNested();
        List<TraceFile.Span> requests = t.named("request").stream().filter(s -> "segment".equals(s.arg("endpoint"))).toList();
        assertEquals(1, requests.size(), t.spans().toString());
        TraceFile.Span request = requests.getFirst();
        assertEquals("200", request.arg("status"));
        for (String stage : List.of("decode", "wait for model", "encode")) {
            assertEquals(1, t.within(request, stage).size(), stage + " in " + request);
        }
        List<TraceFile.Span> batches = t.named("batch");
        assertTrue(!batches.isEmpty(), t.spans().toString());
        for (TraceFile.Span b : batches) {
            assertEquals("wiseseg-model", t.threadNames().get(b.tid()));
            assertEquals(1, t.within(b, "segment batch").size());
            assertEquals(1, t.within(b, "rpn").size());
        }
        assertTrue(request.tid() != batches.getFirst().tid(), "the request waits on its thread, the model runs on its own");
        // causal order: the model ran after the request queued and returned before its wait ended
        // (the batch span itself may close a little later: it completes the requests' futures first)
        TraceFile.Span wait = t.within(request, "wait for model").getFirst();
        assertTrue(t.named("segment batch").stream().anyMatch(m -> m.ts() >= wait.ts() && m.end() <= wait.end()),
                "the request's model run lies within its wait: " + wait + " " + t.named("segment batch"));
    }

    private static void assertError(String message, String... args) {
        CliRun r = CliRun.run(args);
        assertEquals(2, r.code(), r.err());
        assertEquals("wiseseg: " + message + "\n", r.err());
    }
}
