package io.wiseseg.cli;

import io.wiseseg.pipeline.PseudoLabelling;
import io.wiseseg.pseudo.SelectionRules;
import java.util.Iterator;

/**
 * The registered selection rules' names, for picocli's completion and help ({@code --rule}), and
 * the pseudo-mask flags {@code pseudo}, {@code run} and {@code demo} share.
 */
final class RuleNames implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
        return SelectionRules.names().iterator();
    }

    /** {@code name} when a rule of that name is registered, else a UserException listing them. */
    static String check(String name) {
        if (!SelectionRules.names().contains(name)) {
            throw new UserException("--rule " + name + ": no such selection rule; known: "
                    + String.join(", ", SelectionRules.names()));
        }
        return name;
    }

    /** The help of {@code --merge-iou} (pseudo, run, demo). */
    static final String MERGE_IOU_HELP = "One pseudo mask per object: seeds of one class whose chosen proposals "
            + "overlap at mask IoU >= IOU become one instance, the best-scored seed's (1: only seeds that chose the "
            + "same proposal). Default: no merge.";

    /** The help of {@code --class-conflict-iou} (pseudo, run, demo). */
    static final String CLASS_CONFLICT_HELP = "One class per object: after the merge, pseudo masks of different "
            + "classes that overlap at mask IoU >= IOU keep only the one whose class responds most inside it (the mean "
            + "of its class response map over its mask), as an image labelled with two classes gives peaks of both on "
            + "one object. Default: none.";

    /** {@code --class-conflict-iou}'s value as a setting: {@code PseudoLabelling.Settings.NO_CLASS_CONFLICTS} when unset. */
    static double classConflictIou(Double flag) {
        return iouOrNone("--class-conflict-iou", flag, PseudoLabelling.Settings.NO_CLASS_CONFLICTS);
    }

    /** {@code --merge-iou}'s value as a setting: {@code PseudoLabelling.Settings.NO_MERGE} when unset. */
    static double mergeIou(Double flag) {
        return iouOrNone("--merge-iou", flag, PseudoLabelling.Settings.NO_MERGE);
    }

    /** An optional IoU flag: in (0, 1], or {@code none} when unset. */
    private static double iouOrNone(String name, Double flag, double none) {
        if (flag == null) {
            return none;
        }
        if (!(flag > 0 && flag <= 1)) {
            throw new UserException(name + " must be in (0, 1], got " + flag);
        }
        return flag;
    }

    /** One line per rule for help texts: "name: summary". */
    static String summaries() {
        StringBuilder b = new StringBuilder();
        for (SelectionRules.Entry e : SelectionRules.entries()) {
            b.append(b.length() == 0 ? "" : "; ").append(e.name()).append(": ").append(e.summary());
        }
        return b.toString();
    }
}
