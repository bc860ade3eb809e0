package io.wiseseg.maskrcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.wiseseg.backbone.ResNet;
import io.wiseseg.kernels.Device;
import io.wiseseg.util.TorchRuntime;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** State dicts load by torchvision's names, both ≥ 0.13's and the older ones of the COCO checkpoint. */
class MaskRcnnWeightsTest {
    @BeforeAll
    static void load() {
        TorchRuntime.ensureLoaded();
    }

    @Test
    void legacyKeysAreRenamed() {
        assertEquals("backbone.fpn.inner_blocks.2.0.weight", MaskRcnnWeights.modernKey("backbone.fpn.inner_blocks.2.weight"));
        assertEquals("backbone.fpn.layer_blocks.0.0.bias", MaskRcnnWeights.modernKey("backbone.fpn.layer_blocks.0.bias"));
        assertEquals("rpn.head.conv.0.0.weight", MaskRcnnWeights.modernKey("rpn.head.conv.weight"));
        assertEquals("roi_heads.mask_head.3.0.bias", MaskRcnnWeights.modernKey("roi_heads.mask_head.mask_fcn4.bias"));
        assertEquals("backbone.fpn.inner_blocks.2.0.weight", MaskRcnnWeights.modernKey("backbone.fpn.inner_blocks.2.0.weight"));
        assertEquals("roi_heads.box_head.fc6.weight", MaskRcnnWeights.modernKey("roi_heads.box_head.fc6.weight"));
    }

    @Test
    void loadsAStateDictWithOldNamesAndNoBatchCounters() {
        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        Map<String, Tensor> legacy = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : FormulaWeights.stateDict(model).entrySet()) {
            String k = e.getKey()
                    .replaceAll("^backbone\\.fpn\\.(inner|layer)_blocks\\.(\\d+)\\.0\\.", "backbone.fpn.$1_blocks.$2.")
                    .replace("rpn.head.conv.0.0.", "rpn.head.conv.");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^roi_heads\\.mask_head\\.(\\d)\\.0\\.(.*)$").matcher(k);
            if (m.matches()) {
                k = "roi_heads.mask_head.mask_fcn" + (Integer.parseInt(m.group(1)) + 1) + "." + m.group(2);
            }
            legacy.put(k, e.getValue());
        }
        assertTrue(legacy.containsKey("roi_heads.mask_head.mask_fcn1.weight"));
        MaskRcnnWeights.load(model, legacy, "legacy");
        Tensor fc6 = legacy.get("roi_heads.box_head.fc6.weight");
        assertTrue(model.roiHeads.boxHead.fc6.weight.equal(fc6));
        assertTrue(model.backbone.fpn.named_parameters(true).get(0).value().equal(legacy.get("backbone.fpn.inner_blocks.0.weight")));
    }

    /**
     * A classifier's backbone (a ResNet of any output stride, as PRM's classifier holds) loads
     * into backbone.body tensor for tensor.
     */
    @Test
    void loadsTheBackboneOfAClassifier() {
        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        org.bytedeco.pytorch.global.torch.manual_seed(5);
        ResNet classifier = new ResNet(ResNet.Depth.RESNET18, 8, 16);
        classifier.calibrateBatchNorm(org.bytedeco.pytorch.global.torch.randn(2, 3, 64, 64)); // non-trivial BN statistics
        MaskRcnnWeights.loadBackbone(model, classifier, "classifier");
        Map<String, Tensor> want = io.wiseseg.util.TorchvisionWeights.stateDict(classifier);
        Map<String, Tensor> got = io.wiseseg.util.TorchvisionWeights.stateDict(model.backbone.body);
        assertEquals(want.keySet(), got.keySet());
        for (String key : want.keySet()) {
            assertTrue(got.get(key).equal(want.get(key)), key);
        }
        assertTrue(want.containsKey("layer4.1.bn2.running_var"));
        // a copy, not shared storage: training the Mask R-CNN leaves the classifier alone
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            got.get("conv1.weight").add_(new org.bytedeco.pytorch.Scalar(1.0));
        }
        assertTrue(!got.get("conv1.weight").equal(want.get("conv1.weight")));
        ResNet wider = new ResNet(ResNet.Depth.RESNET18, 16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MaskRcnnWeights.loadBackbone(model, wider, "wider"));
        assertTrue(e.getMessage().contains("width 16"), e.getMessage());
    }

    @Test
    void trainableBackboneLayersFollowTorchvision() {
        for (int k : new int[] {3, 5}) {
            MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny().withTrainableBackboneLayers(k), Device.cpu());
            Map<String, Boolean> grad = new java.util.HashMap<>();
            var dict = model.named_parameters(true);
            for (long i = 0; i < dict.size(); i++) {
                grad.put(dict.get(i).key().getString(), dict.get(i).value().requires_grad());
            }
            assertEquals(k == 5, grad.get("backbone.body.conv1.weight"), "conv1 with k=" + k);
            assertEquals(k == 5, grad.get("backbone.body.layer1.0.conv1.weight"), "layer1 with k=" + k);
            assertTrue(grad.get("backbone.body.layer2.0.conv1.weight"));
            assertTrue(grad.get("backbone.body.layer4.1.conv2.weight"));
            assertTrue(!grad.get("backbone.body.bn1.weight") && !grad.get("backbone.body.layer2.0.downsample.1.weight"),
                    "BatchNorm stays frozen");
            assertTrue(grad.get("backbone.fpn.inner_blocks.0.0.weight") && grad.get("rpn.head.conv.0.0.weight"));
        }
    }

    @Test
    void aMissingOrMisshapenKeyIsNamed() {
        MaskRcnn model = new MaskRcnn(MaskRcnnTrainingTest.tiny(), Device.cpu());
        Map<String, Tensor> weights = FormulaWeights.stateDict(model);
        weights.remove("roi_heads.box_predictor.cls_score.bias");
        var e = assertThrows(IllegalArgumentException.class, () -> MaskRcnnWeights.load(model, weights, "file.pth"));
        assertTrue(e.getMessage().contains("roi_heads.box_predictor.cls_score.bias"), e.getMessage());
        Map<String, Tensor> wrong = FormulaWeights.stateDict(model);
        wrong.put("roi_heads.box_predictor.cls_score.bias", org.bytedeco.pytorch.global.torch.zeros(5));
        e = assertThrows(IllegalArgumentException.class, () -> MaskRcnnWeights.load(model, wrong, "file.pth"));
        assertTrue(e.getMessage().contains("shape"), e.getMessage());
    }
}
