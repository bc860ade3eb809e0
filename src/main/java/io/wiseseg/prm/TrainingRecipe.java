package io.wiseseg.prm;

import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * How the classifier learns from image labels: how a class response map becomes one score, the
 * loss on those scores, and the optimizer. {@link #PRM} is PRM's and WISE's (peak stimulation,
 * multilabel soft margin, SGD) and what the pseudo masks need; {@link #PRETRAINING} (the map's
 * maximum, softmax cross-entropy, Adam) is for training a backbone from scratch first: on the
 * hard family's single-object images PRM's recipe stays at the label prior for thousands of
 * steps (bench/RESULTS.md), this one leaves it.
 *
 * @param maxGradNorm 0: no limit; else each step's gradients, all trained parameters together, are
 *                    scaled down to at most this L2 norm before the optimizer step (torch's
 *                    clip_grad_norm_); a recipe written before it existed reads as 0
 */
public record TrainingRecipe(Pooling pooling, Loss loss, OptimizerKind optimizer, double maxGradNorm) {
    public static final TrainingRecipe PRM = new TrainingRecipe(Pooling.PEAKS, Loss.SOFT_MARGIN, OptimizerKind.SGD);
    public static final TrainingRecipe PRETRAINING = new TrainingRecipe(Pooling.MAX, Loss.SOFTMAX, OptimizerKind.ADAM);

    /** A class response map's score. */
    public enum Pooling {
        /** PRM's peak stimulation: the mean of the map at its local peaks. */
        PEAKS,
        /** The map's maximum. */
        MAX
    }

    public enum Loss {
        /** PyTorch's multilabel_soft_margin_loss: per class, binary cross-entropy of sigmoid(score). */
        SOFT_MARGIN,
        /**
         * Cross-entropy of the softmax over classes against the image's labels spread evenly
         * (one label: plain softmax cross-entropy). Every image needs at least one label.
         */
        SOFTMAX
    }

    public enum OptimizerKind {
        /** SGD with the config's momentum and weight decay. */
        SGD,
        /** Adam (β 0.9, 0.999; ε 1e-8) with the config's weight decay as L2; momentum unused. */
        ADAM
    }

    public TrainingRecipe {
        if (pooling == null || loss == null || optimizer == null) {
            throw new IllegalArgumentException("a training recipe needs pooling, loss and optimizer");
        }
        if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
            throw new IllegalArgumentException("the gradient norm limit must be a number >= 0 (0: no limit), got "
                    + maxGradNorm);
        }
    }

    /** This pooling, loss and optimizer, gradients not limited. */
    public TrainingRecipe(Pooling pooling, Loss loss, OptimizerKind optimizer) {
        this(pooling, loss, optimizer, 0);
    }

    /** This recipe with each step's gradient norm limited to {@code limit} (0: no limit). */
    public TrainingRecipe withMaxGradNorm(double limit) {
        return new TrainingRecipe(pooling, loss, optimizer, limit);
    }

    /**
     * Scales the gradients of {@code params} (those that have one) down to the recipe's limit, all
     * together (without a limit they stay as they are), and returns their norm before that: what a
     * user needs to choose a limit. Adam's loss on a from-scratch backbone can spike late in
     * training (bench/RESULTS.md): a limit keeps one bad step from undoing hundreds.
     */
    public double limitGradients(TensorVector params) {
        return torch.clip_grad_norm_(params, maxGradNorm > 0 ? maxGradNorm : Float.MAX_VALUE); // the largest limit a float gradient takes
    }

    /** The per-image, per-class scores (N×C) of the maps (N×C×H×W), differentiable. */
    public Tensor scores(Tensor maps, PeakStimulation stimulation) {
        return switch (pooling) {
            case PEAKS -> stimulation.apply(maps).aggregation();
            case MAX -> torch.amax(maps, new long[] {2, 3}, false);
        };
    }

    /** The mean loss of a batch: scores and 0/1 labels, both N×C. */
    public Tensor loss(Tensor scores, Tensor labels) {
        return switch (loss) {
            case SOFT_MARGIN -> PrmNetwork.loss(scores, labels);
            case SOFTMAX -> softmaxLoss(scores, labels);
        };
    }

    /** −mean over images of Σ_c (y_c / Σ y) · log softmax(scores)_c. */
    static Tensor softmaxLoss(Tensor scores, Tensor labels) {
        Tensor target = labels.div(labels.sum(new long[] {1}, true, new ScalarTypeOptional()));
        Tensor logProbabilities = torch.log_softmax(scores, 1);
        return target.mul(logProbabilities).sum(new long[] {1}, false, new ScalarTypeOptional()).mean().neg();
    }

    /** A new optimizer of this recipe's kind over {@code params}. */
    public Optimizer newOptimizer(TensorVector params, double lr, double momentum, double weightDecay) {
        return switch (optimizer) {
            case SGD -> {
                SGDOptions o = new SGDOptions(lr);
                o.momentum().put(momentum);
                o.weight_decay().put(weightDecay);
                yield new SGD(params, o);
            }
            case ADAM -> {
                AdamOptions o = new AdamOptions(lr);
                o.weight_decay().put(weightDecay);
                yield new Adam(params, o);
            }
        };
    }

    /** "max" for MAX, "soft-margin" for SOFT_MARGIN: the names the command line takes. */
    public static String cliName(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The constant of {@code type} named {@code name} on the command line, or a message listing them. */
    public static <E extends Enum<E>> E parse(Class<E> type, String name, String option) {
        for (E e : type.getEnumConstants()) {
            if (cliName(e).equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException(option + ": unknown value '" + name + "' (one of "
                + String.join(", ", Arrays.stream(type.getEnumConstants()).map(TrainingRecipe::cliName).toList()) + ")");
    }

    @Override
    public String toString() {
        return cliName(pooling) + " pooling, " + cliName(loss) + " loss, " + cliName(optimizer)
                + (maxGradNorm > 0 ? ", gradient norm <= " + maxGradNorm : "");
    }
}
