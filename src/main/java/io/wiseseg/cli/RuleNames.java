package io.wiseseg.cli;

import io.wiseseg.pseudo.SelectionRules;
import java.util.Iterator;

/** The registered selection rules' names, for picocli's completion and help ({@code --rule}). */
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

    /** One line per rule for help texts: "name: summary". */
    static String summaries() {
        StringBuilder b = new StringBuilder();
        for (SelectionRules.Entry e : SelectionRules.entries()) {
            b.append(b.length() == 0 ? "" : "; ").append(e.name()).append(": ").append(e.summary());
        }
        return b.toString();
    }
}
