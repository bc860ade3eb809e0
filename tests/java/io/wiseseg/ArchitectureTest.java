package io.wiseseg;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import io.wiseseg.util.Trace;
import io.wiseseg.util.TorchRuntime;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The import rule of DESIGN.md ("Imports point one way, down the pipeline, and never in a
 * circle"), held against the main classes: one layer per package, and for each the packages of
 * ours it may use (a package may always use itself; dependencies on the JDK and libraries are not
 * ours and not checked). {@code pipeline} and {@code serve} are optional layers: checked once they
 * have classes. A main class in a package the rule does not name fails it too, so a new package
 * gets its line here (and in DESIGN.md) before it gets code.
 */
class ArchitectureTest {
    /** The rule; every layer but pipeline and serve must have classes, so an empty import fails too. */
    static LayeredArchitecture importRule() {
        return layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .ensureAllClassesAreContainedInArchitecture()
                .layer("util").definedBy("io.wiseseg.util..")
                .layer("kernels").definedBy("io.wiseseg.kernels..")
                .layer("data").definedBy("io.wiseseg.data..")
                .layer("eval").definedBy("io.wiseseg.eval..")
                .layer("proposals").definedBy("io.wiseseg.proposals..")
                .layer("backbone").definedBy("io.wiseseg.backbone..")
                .layer("prm").definedBy("io.wiseseg.prm..")
                .layer("maskrcnn").definedBy("io.wiseseg.maskrcnn..")
                .layer("pseudo").definedBy("io.wiseseg.pseudo..")
                .optionalLayer("pipeline").definedBy("io.wiseseg.pipeline..")
                .layer("cli").definedBy("io.wiseseg.cli..")
                .optionalLayer("serve").definedBy("io.wiseseg.serve..")
                // cli may use every layer; that no layer uses cli follows from the lists below
                .whereLayer("util").mayNotAccessAnyLayer()
                .whereLayer("kernels").mayOnlyAccessLayers("util") // TorchRuntime and Trace: kernelsUseOnlyTorchRuntimeAndTrace()
                .whereLayer("data").mayOnlyAccessLayers("util")
                .whereLayer("eval").mayOnlyAccessLayers("data", "util")
                .whereLayer("proposals").mayOnlyAccessLayers("data", "util")
                .whereLayer("backbone").mayOnlyAccessLayers("kernels", "util")
                .whereLayer("prm").mayOnlyAccessLayers("backbone", "kernels", "data", "util")
                .whereLayer("maskrcnn").mayOnlyAccessLayers("backbone", "kernels", "data", "util")
                .whereLayer("pseudo").mayOnlyAccessLayers("prm", "proposals", "kernels", "data", "util")
                .whereLayer("pipeline").mayOnlyAccessLayers( // the stages it wires together
                        "data", "kernels", "backbone", "prm", "proposals", "pseudo", "maskrcnn", "eval", "util")
                .whereLayer("serve").mayOnlyAccessLayers("pipeline", "data", "eval", "util");
    }

    /**
     * Of {@code util}, {@code kernels} uses {@link TorchRuntime} and {@link Trace} alone. Its classes
     * take LibTorch tensors, so they must load LibTorch safely before a caller can make one (the
     * cold-cache fix), and a second copy of that loader would be worse than this exception to "uses
     * nothing". And the first CUDA device hands Trace NVTX's range sink: util may not see kernels,
     * so the only other way would be every caller that makes a device passing it on.
     */
    static ArchRule kernelsUseOnlyTorchRuntimeAndTrace() {
        return noClasses().that().resideInAPackage("io.wiseseg.kernels..")
                .should().dependOnClassesThat(resideInAPackage("io.wiseseg.util..")
                        .and(not(equivalentTo(TorchRuntime.class)))
                        .and(not(belongToAnyOf(Trace.class)))) // Trace and its nested RangeSink
                .because("kernels uses nothing of ours but util.TorchRuntime and util.Trace (ARCHITECTURE.md)");
    }

    @Test
    void mainClassesFollowTheImportRule() {
        JavaClasses main = new ClassFileImporter()
                .withImportOption(new ImportOption.DoNotIncludeTests())
                .importPackages("io.wiseseg");
        importRule().because("imports point one way, down the pipeline (DESIGN.md)").check(main);
        kernelsUseOnlyTorchRuntimeAndTrace().check(main);
    }

    /**
     * The same rule on a few test-only classes that break it (kernels using data and util.Tensors,
     * maskrcnn using prm, a class outside every named package: this test) next to main classes
     * that keep it (kernels.Device uses util.TorchRuntime).
     */
    @Test
    void theRuleReportsEachBreach() {
        JavaClasses classes = new ClassFileImporter().importClasses(
                io.wiseseg.kernels.BreaksImportRule.class,
                io.wiseseg.maskrcnn.BreaksImportRule.class,
                ArchitectureTest.class,
                io.wiseseg.kernels.Device.class,           // kernels -> util.TorchRuntime: allowed
                io.wiseseg.maskrcnn.MaskRcnnWeights.class, // maskrcnn -> backbone, util: allowed
                io.wiseseg.prm.PrmNetwork.class,           // prm -> backbone, util: allowed
                io.wiseseg.pseudo.PseudoLabeller.class);   // pseudo -> prm, proposals, kernels, data: allowed
        // a handful of classes leaves most layers empty: here only the dependencies are at stake
        EvaluationResult result = importRule().withOptionalLayers(true).evaluate(classes);
        List<String> details = result.getFailureReport().getDetails();
        details.forEach(d -> System.out.println("expected breach: " + d));
        assertEquals(Set.of("io.wiseseg.kernels.BreaksImportRule", "io.wiseseg.maskrcnn.BreaksImportRule",
                "io.wiseseg.ArchitectureTest"), offenders(details), String.join("\n", details));
        assertTrue(details.stream().anyMatch(d -> d.contains("<io.wiseseg.data.Mask>")), "kernels -> data");
        assertTrue(details.stream().anyMatch(d -> d.contains("<io.wiseseg.prm.Peak>")), "maskrcnn -> prm");

        List<String> utilUses = kernelsUseOnlyTorchRuntimeAndTrace().evaluate(classes).getFailureReport().getDetails();
        utilUses.forEach(d -> System.out.println("expected breach: " + d));
        assertEquals(Set.of("io.wiseseg.kernels.BreaksImportRule"), offenders(utilUses), String.join("\n", utilUses));
        assertTrue(utilUses.stream().allMatch(d -> d.contains("<io.wiseseg.util.Tensors")), "kernels -> util.Tensors");
    }

    /** The classes a violation report starts from: the first io.wiseseg class each line names. */
    private static Set<String> offenders(List<String> details) {
        Pattern first = Pattern.compile("<(io\\.wiseseg\\.[a-z.]*[A-Z]\\w*)");
        Set<String> out = new TreeSet<>();
        for (String d : details) {
            Matcher m = first.matcher(d);
            assertTrue(m.find(), d);
            out.add(m.group(1));
        }
        return out;
    }
}
