package io.wiseseg.pseudo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.kernels.ProposalScorer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rule registry: the built-in rules by name, what they declare, and a rule added by one registration. */
class SelectionRulesTest {
    /** A test-only rule: the largest proposal for every seed. One class ... */
    static final class LargestProposal implements SelectionRule {
        @Override
        public Selection select(ImageEvidence e, ProposalScorer scorer) {
            Selection out = Selection.empty(e.seeds().size());
            int best = -1;
            for (int p = 0; p < e.proposals().size(); p++) {
                if (best < 0 || e.proposals().get(p).mask().area() > e.proposals().get(best).mask().area()) {
                    best = p;
                }
            }
            for (int k = 0; k < e.seeds().size() && best >= 0; k++) {
                out.proposal()[k] = best;
                out.score()[k] = e.proposals().get(best).score();
            }
            return out;
        }

        @Override
        public String description() {
            return "largest proposal (test)";
        }

        @Override
        public Evidence evidence() {
            return Evidence.PEAKS;
        }
    }

    @Test
    void builtInRulesAreFoundByNameAndDeclareTheirNeeds() {
        assertEquals(List.of("wise", "prm", "iou"), SelectionRules.names().subList(0, 3));
        RuleSettings s = RuleSettings.defaults();
        SelectionRule wise = SelectionRules.create("wise", s), prm = SelectionRules.create("prm", s);
        SelectionRule iou = SelectionRules.create("iou", s);
        assertInstanceOf(BestObjectness.class, wise);
        assertEquals(SelectionRule.Evidence.PEAKS, wise.evidence());
        assertFalse(wise.instanceNmsByDefault());
        assertEquals(SelectionRule.Evidence.CLASS_MAPS, prm.evidence());
        assertTrue(prm.instanceNmsByDefault());
        assertEquals(SelectionRule.Evidence.PEAK_RESPONSE_MAPS, iou.evidence());
        // seeds at response maxima need the maps even for a rule that reads peaks only
        assertEquals(SelectionRule.Evidence.PEAK_RESPONSE_MAPS, PrmEvidence.needsOf(wise, PrmEvidence.Point.RESPONSE_MAX));
        assertEquals(SelectionRule.Evidence.PEAKS, PrmEvidence.needsOf(wise, PrmEvidence.Point.PEAK));
        assertEquals(SelectionRule.Evidence.CLASS_MAPS, PrmEvidence.needsOf(prm, PrmEvidence.Point.RESPONSE_MAX));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SelectionRules.create("nope", s));
        assertTrue(e.getMessage().contains("wise, prm, iou"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SelectionRules.register("wise", "again", x -> null));
    }

    @Test
    void aNewRuleIsOneClassAndOneRegistration() {
        // ... and one registry line:
        SelectionRules.register("largest-test", "the largest proposal", s -> new LargestProposal());
        SelectionRule rule = SelectionRules.create("largest-test", RuleSettings.defaults());
        assertTrue(SelectionRules.names().contains("largest-test"));
        // it runs through the labeller like any built-in rule
        PseudoLabeller labeller = new PseudoLabeller(rule, rule.instanceNmsByDefault() ? InstanceNms.prm() : null,
                Inputs.scorer());
        ImageEvidence e = new PseudoLabellerTest.Source().evidence(PseudoLabellerTest.image("a"));
        List<PseudoInstance> out = labeller.select(e);
        assertEquals(2, out.size());
        assertEquals(PseudoLabellerTest.LEFT.andNot(PseudoLabellerTest.VOID), out.get(0).mask()); // void zeroed
    }
}
