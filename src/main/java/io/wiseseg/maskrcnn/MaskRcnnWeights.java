package io.wiseseg.maskrcnn;

import io.wiseseg.backbone.ResNet;
import io.wiseseg.util.TorchvisionWeights;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads torchvision weights into a {@link MaskRcnn} by state-dict key: whole-model files (both
 * torchvision ≥ 0.13's names and the older ones of the published COCO checkpoint) and ImageNet
 * ResNet files for the backbone body. The only place this package touches the {@code .pth} reader.
 */
public final class MaskRcnnWeights {
    private static final Pattern OLD_FPN = Pattern.compile("^backbone\\.fpn\\.(inner|layer)_blocks\\.(\\d+)\\.(weight|bias)$");
    private static final Pattern OLD_MASK = Pattern.compile("^roi_heads\\.mask_head\\.mask_fcn(\\d+)\\.(weight|bias)$");

    private MaskRcnnWeights() {}

    /** A whole Mask R-CNN state dict ({@code model.state_dict()} of torchvision's maskrcnn_resnet50_fpn). */
    public static void loadModel(MaskRcnn model, Path file) {
        load(model, TorchvisionWeights.read(file), file.toString());
    }

    /** Loads a state dict given as a map (keys as in torchvision, old or new). */
    public static void load(MaskRcnn model, Map<String, Tensor> stateDict, String source) {
        Map<String, Tensor> renamed = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            renamed.put(modernKey(e.getKey()), e.getValue());
        }
        fillBatchCounters(model, renamed);
        TorchvisionWeights.load(model, renamed, Set.of(), source);
    }

    /** An ImageNet ResNet state dict (torchvision's resnet50 / resnet18 files) into backbone.body; fc is ignored. */
    public static void loadBackbone(MaskRcnn model, Path file) {
        Map<String, Tensor> weights = TorchvisionWeights.read(file);
        fillBatchCounters(model.backbone.body, weights);
        TorchvisionWeights.load(model.backbone.body, weights, Set.of("fc."), file.toString());
    }

    /**
     * The backbone of a trained PRM classifier into backbone.body: the same torchvision ResNet
     * (depth and width must match), trained on the same images' image-level labels, so the Mask
     * R-CNN starts from features of its own domain instead of from scratch. A classifier with an
     * output stride below 32 has the same weights; here they run with torchvision's strides.
     */
    public static void loadBackbone(MaskRcnn model, ResNet classifierBackbone, String source) {
        model.backbone.body.loadFrom(classifierBackbone, source);
    }

    /** torchvision 0.12-era key → 0.13+ key (Conv2dNormActivation wrappers); others unchanged. */
    static String modernKey(String key) {
        Matcher m = OLD_FPN.matcher(key);
        if (m.matches()) {
            return "backbone.fpn." + m.group(1) + "_blocks." + m.group(2) + ".0." + m.group(3);
        }
        m = OLD_MASK.matcher(key);
        if (m.matches()) {
            return "roi_heads.mask_head." + (Integer.parseInt(m.group(1)) - 1) + ".0." + m.group(2);
        }
        if (key.equals("rpn.head.conv.weight") || key.equals("rpn.head.conv.bias")) {
            return "rpn.head.conv.0.0." + key.substring("rpn.head.conv.".length());
        }
        return key;
    }

    /**
     * torchvision's FrozenBatchNorm2d has no num_batches_tracked buffer but ours keeps one (it is
     * also the ImageNet files' BatchNorm): a missing counter is set to 0 rather than failing.
     */
    private static void fillBatchCounters(Module module, Map<String, Tensor> weights) {
        StringTensorDict buffers = module.named_buffers(true);
        for (long i = 0; i < buffers.size(); i++) {
            String key = buffers.get(i).key().getString();
            if (key.endsWith("num_batches_tracked") && !weights.containsKey(key)) {
                weights.put(key, torch.zeros(new long[] {}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Long)));
            }
        }
    }
}
