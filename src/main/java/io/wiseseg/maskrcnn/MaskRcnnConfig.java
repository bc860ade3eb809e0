package io.wiseseg.maskrcnn;

import io.wiseseg.backbone.ResNet;

/**
 * Every setting of the detector in one place, with torchvision's maskrcnn_resnet50_fpn defaults in
 * {@link #torchvision(int)} and a narrow ResNet-18 variant for fast CPU runs in {@link #small(int)}.
 * numClasses counts the background (VOC: 21).
 */
public record MaskRcnnConfig(
        ResNet.Depth depth, int width, int fpnChannels, int representationSize, int maskChannels,
        int numClasses, int minSize, int maxSize, int sizeDivisible,
        int rpnPreNmsTrain, int rpnPreNmsTest, int rpnPostNmsTrain, int rpnPostNmsTest, float rpnNms,
        float rpnFgIou, float rpnBgIou, int rpnBatch, float rpnPositiveFraction, float rpnScoreThresh,
        float boxFgIou, float boxBgIou, int boxBatch, float boxPositiveFraction, float boxScoreThresh,
        float boxNms, int detectionsPerImage, int trainableBackboneLayers) {

    public MaskRcnnConfig {
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses counts the background and must be >= 2, got " + numClasses);
        }
        if (trainableBackboneLayers < 0 || trainableBackboneLayers > 5) {
            throw new IllegalArgumentException("trainable backbone layers must be in 0..5, got " + trainableBackboneLayers);
        }
        if (minSize < 1 || maxSize < minSize) {
            throw new IllegalArgumentException("need 1 <= minSize <= maxSize, got " + minSize + ", " + maxSize);
        }
    }

    /** torchvision's maskrcnn_resnet50_fpn: ResNet-50, 256-channel FPN, 1024-d box head. */
    public static MaskRcnnConfig torchvision(int numClasses) {
        return new MaskRcnnConfig(ResNet.Depth.RESNET50, 64, 256, 1024, 256, numClasses, 800, 1333, 32,
                2000, 1000, 2000, 1000, 0.7f, 0.7f, 0.3f, 256, 0.5f, 0f,
                0.5f, 0.5f, 512, 0.25f, 0.05f, 0.5f, 100, 3);
    }

    /**
     * A narrow ResNet-18-FPN (width 16, 64 channels) on small images, for CPU training demos and
     * tests: 1000 / 500 RPN proposals before / after NMS in training, 500 / 100 at test, and 128
     * sampled RoIs per image (COCO's 2000 / 1000 / 1000 / 1000 and 512 are for 800-pixel images
     * of many objects).
     */
    public static MaskRcnnConfig small(int numClasses) {
        return torchvision(numClasses).withBackbone(ResNet.Depth.RESNET18, 16, 64, 256, 64).withSizes(256, 512)
                .withProposals(1000, 500, 500, 100, 128);
    }

    public MaskRcnnConfig withBackbone(ResNet.Depth d, int w, int fpn, int representation, int mask) {
        return new MaskRcnnConfig(d, w, fpn, representation, mask, numClasses, minSize, maxSize, sizeDivisible,
                rpnPreNmsTrain, rpnPreNmsTest, rpnPostNmsTrain, rpnPostNmsTest, rpnNms, rpnFgIou, rpnBgIou, rpnBatch,
                rpnPositiveFraction, rpnScoreThresh, boxFgIou, boxBgIou, boxBatch, boxPositiveFraction, boxScoreThresh,
                boxNms, detectionsPerImage, trainableBackboneLayers);
    }

    public MaskRcnnConfig withSizes(int min, int max) {
        return new MaskRcnnConfig(depth, width, fpnChannels, representationSize, maskChannels, numClasses, min, max,
                sizeDivisible, rpnPreNmsTrain, rpnPreNmsTest, rpnPostNmsTrain, rpnPostNmsTest, rpnNms, rpnFgIou,
                rpnBgIou, rpnBatch, rpnPositiveFraction, rpnScoreThresh, boxFgIou, boxBgIou, boxBatch,
                boxPositiveFraction, boxScoreThresh, boxNms, detectionsPerImage, trainableBackboneLayers);
    }

    /**
     * torchvision's trainable_backbone_layers: 3 (layer2..layer4) with pretrained weights, 5 (every
     * stage) from scratch. BatchNorm stays frozen.
     */
    public MaskRcnnConfig withTrainableBackboneLayers(int k) {
        return new MaskRcnnConfig(depth, width, fpnChannels, representationSize, maskChannels, numClasses, minSize,
                maxSize, sizeDivisible, rpnPreNmsTrain, rpnPreNmsTest, rpnPostNmsTrain, rpnPostNmsTest, rpnNms, rpnFgIou,
                rpnBgIou, rpnBatch, rpnPositiveFraction, rpnScoreThresh, boxFgIou, boxBgIou, boxBatch,
                boxPositiveFraction, boxScoreThresh, boxNms, detectionsPerImage, k);
    }

    /** The samplers' batch sizes and positive fractions (RPN anchors, RoIs per image). */
    public MaskRcnnConfig withSampling(int rpnBatchSize, float rpnPositive, int boxBatchSize, float boxPositive) {
        return new MaskRcnnConfig(depth, width, fpnChannels, representationSize, maskChannels, numClasses, minSize,
                maxSize, sizeDivisible, rpnPreNmsTrain, rpnPreNmsTest, rpnPostNmsTrain, rpnPostNmsTest, rpnNms, rpnFgIou,
                rpnBgIou, rpnBatchSize, rpnPositive, rpnScoreThresh, boxFgIou, boxBgIou, boxBatchSize, boxPositive,
                boxScoreThresh, boxNms, detectionsPerImage, trainableBackboneLayers);
    }

    /** Fewer proposals and sampled RoIs: what small images with few objects need. */
    public MaskRcnnConfig withProposals(int preTrain, int postTrain, int preTest, int postTest, int boxBatchSize) {
        return new MaskRcnnConfig(depth, width, fpnChannels, representationSize, maskChannels, numClasses, minSize,
                maxSize, sizeDivisible, preTrain, preTest, postTrain, postTest, rpnNms, rpnFgIou, rpnBgIou, rpnBatch,
                rpnPositiveFraction, rpnScoreThresh, boxFgIou, boxBgIou, boxBatchSize, boxPositiveFraction,
                boxScoreThresh, boxNms, detectionsPerImage, trainableBackboneLayers);
    }
}
