package io.wiseseg.pipeline;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.wiseseg.util.StepSchedule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run.json records both stages' schedules; another schedule in the same folder is refused by name. */
class RunScheduleSettingsTest {
    private static WiseRun.Settings demo() {
        return new WiseRun.Settings("train", "val", 160, 12, 16, PseudoLabelling.Settings.defaults(), 160, 160, 4, true,
                8, 0);
    }

    @Test
    void recordsTheSchedulesAndRefusesOthersByName(@TempDir Path out) throws Exception {
        WiseRun.Settings s = demo().withSchedules(StepSchedule.EPOCHS, new StepSchedule(900, List.of(450), 0.1));
        WiseRun.checkSettings(out, s);
        String json = Files.readString(out.resolve(WiseRun.SETTINGS_FILE)).replaceAll("\\s", "");
        assertTrue(json.contains("\"maskRcnnSchedule\":{\"iterations\":900,\"lrSteps\":[450],\"lrGamma\":0.1}"), json);
        assertDoesNotThrow(() -> WiseRun.checkSettings(out, s));
        assertDoesNotThrow(() -> WiseRun.checkSettings(out, s.withOverlays(0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WiseRun.checkSettings(out,
                demo().withSchedules(StepSchedule.EPOCHS, new StepSchedule(900, List.of(600), 0.1))));
        assertTrue(e.getMessage().contains("other settings (maskRcnnSchedule.lrSteps: [450] → [600])"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WiseRun.checkSettings(out, demo().withSchedules(
                new StepSchedule(700, List.of(), 0.1), new StepSchedule(900, List.of(450), 0.1))));
        assertTrue(e.getMessage().contains("other settings (classifierSchedule.iterations: 0 → 700)"), e.getMessage());
    }

    @Test
    void aRunMadeBeforeSchedulesResumesByEpochs(@TempDir Path out) throws Exception {
        WiseRun.checkSettings(out, demo());
        Path file = out.resolve(WiseRun.SETTINGS_FILE);
        ObjectMapper json = new ObjectMapper();
        ObjectNode old = (ObjectNode) json.readTree(file.toFile());
        old.remove(List.of("classifierSchedule", "maskRcnnSchedule"));
        Files.writeString(file, old.toString());
        assertDoesNotThrow(() -> WiseRun.checkSettings(out, demo()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WiseRun.checkSettings(out,
                demo().withSchedules(StepSchedule.EPOCHS, new StepSchedule(900, List.of(), 0.1))));
        assertTrue(e.getMessage().contains("maskRcnnSchedule.iterations: 0 → 900"), e.getMessage());
    }

    /** A folder made without a search (the default before it was on) is refused with the flag that resumes it. */
    @Test
    void aRunMadeWithoutASearchNamesTheFlagThatResumesIt(@TempDir Path out) throws Exception {
        WiseRun.checkSettings(out, demo(), SettingsSearch.Options.OFF);
        var search = SettingsSearch.Options.defaults(0f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WiseRun.checkSettings(out, demo(), search));
        assertTrue(e.getMessage().contains(
                "made without a settings search: add --tune-fraction 0 (SettingsSearch.Options.OFF) to resume it"),
                e.getMessage());
        assertDoesNotThrow(() -> WiseRun.checkSettings(out, demo(), SettingsSearch.Options.OFF));
        // the other way round (a searched folder, resumed with no search) gets no such hint
        Path other = Files.createDirectories(out.resolve("searched"));
        WiseRun.checkSettings(other, demo(), search);
        e = assertThrows(IllegalArgumentException.class,
                () -> WiseRun.checkSettings(other, demo(), SettingsSearch.Options.OFF));
        assertTrue(e.getMessage().contains("other settings (tune: "), e.getMessage());
        assertTrue(!e.getMessage().contains("--tune-fraction 0"), e.getMessage());
    }
}
