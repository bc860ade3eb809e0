package io.wiseseg.pseudo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of selection rules by name: the CLI's {@code --rule}, the demo and the pipeline
 * find rules here. Adding a rule is one class implementing {@link SelectionRule} plus one
 * {@code register} line below (or a call of {@link #register} from a plug-in).
 */
public final class SelectionRules {
    /** A registered rule: its name, a one-line summary for help texts, and how to build it. */
    public record Entry(String name, String summary, Function<RuleSettings, SelectionRule> factory) {}

    private static final Map<String, Entry> RULES = new LinkedHashMap<>();

    static {
        register("wise", "best objectness: the highest-scoring proposal that contains the seed (WISE)",
                s -> new BestObjectness(s.objectnessThreshold(), s.singlePoint()));
        register("prm", "PRM's retrieval score over the first 100 proposals, then instance NMS",
                s -> PrmRetrieval.prm());
        register("iou", "best IoU with the blurred peak response map (ours)",
                s -> s.mapBlur() > 0 ? BestIou.smoothed(s.mapBlur(), s.mapFraction(), s.proposalCount())
                        : new BestIou(1.0, s.proposalCount()));
    }

    private SelectionRules() {}

    /** Registers a rule; names are unique. */
    public static synchronized void register(String name, String summary, Function<RuleSettings, SelectionRule> factory) {
        if (name == null || !name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("a rule name is lower-case letters, digits and '-', got '" + name + "'");
        }
        if (RULES.containsKey(name)) {
            throw new IllegalArgumentException("a selection rule named '" + name + "' is already registered");
        }
        RULES.put(name, new Entry(name, summary, factory));
    }

    /** The rule named {@code name}, built from {@code settings}; the message lists the known names. */
    public static synchronized SelectionRule create(String name, RuleSettings settings) {
        Entry e = RULES.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no selection rule '" + name + "'; known: " + String.join(", ", RULES.keySet()));
        }
        return e.factory().apply(settings);
    }

    /** The registered names, in registration order. */
    public static synchronized List<String> names() {
        return new ArrayList<>(RULES.keySet());
    }

    /** The registered rules, in registration order. */
    public static synchronized List<Entry> entries() {
        return new ArrayList<>(RULES.values());
    }
}
