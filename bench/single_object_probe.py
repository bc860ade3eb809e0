# Can a network name the one object of a single-object dataset (`dataset synth --max-instances 1`)
# from scratch, and how soon? An independent probe of the classifier recipe, not product code.
# Each image is resized to SIZE x SIZE; its label is the class of its (only) object. Batches of 32
# drawn at random from the train split, horizontal flips; val top-1 accuracy every 100
# steps (chance: 1 / classes). Two threads, seed 0, everything held in memory.
#
# usage: /usr/bin/python3 bench/single_object_probe.py DATASET STEPS SIZE ARCH LR POOL
#   ARCH  resnet: ResNet-18 at width 16, output stride 16 (wiseseg's classifier backbone)
#         tiny:   four 3x3 conv-BN-ReLU blocks (32, 64, 128, 128 channels), three 2x2 max pools
#   LR    below 0.005: Adam at that rate; else SGD at that rate, momentum 0.9, weight decay 1e-4
#   POOL  max (the map's maximum), mean (global average), peaks (PRM's peak stimulation: the mean
#         over 3x3 local maxima at or above the map's median, as wiseseg's PeakStimulation)
#   LOSS=bce in the environment: multilabel BCE on one-hot labels (wiseseg's loss) instead of
#         softmax cross-entropy
#   VARIANT in the environment, for ARCH resnet, a comma-separated list of: kaiming (every conv
#         Kaiming-normal, fan-out, as wiseseg's Conv and torchvision's ResNet init; without it the
#         replaced layers keep nn.Conv2d's default init), zeroinit (each residual block's last
#         BatchNorm starts at weight 0, torchvision's zero_init_residual), nomaxpool (the stem
#         without its max pool: output stride 8), shallow (one block per stage, ResNet-10)
import os, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image
from voc_split import image_ids, image_path, object_names, normalised

torch.set_num_threads(2)
torch.manual_seed(0)
root, steps, side, arch, lr, pool = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), sys.argv[6]
bce = os.environ.get('LOSS', 'ce') == 'bce'
classes = open(f'{root}/classes.txt').read().split()


def load(split):
    xs, ys = [], []
    for i in image_ids(root, split):
        im = Image.open(image_path(root, i)).convert('RGB').resize((side, side), Image.BILINEAR)
        xs.append(torch.from_numpy(normalised(im)).permute(2, 0, 1))
        names = object_names(root, i)
        if len(names) != 1:
            sys.exit(f'{i}: {len(names)} objects; this probe takes single-object images only')
        ys.append(classes.index(names[0]))
    return torch.stack(xs), torch.tensor(ys)


def block(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU())


if arch == 'resnet':
    from torchvision.models.resnet import ResNet, BasicBlock
    variant = set(filter(None, os.environ.get('VARIANT', '').split(',')))
    if variant - {'kaiming', 'zeroinit', 'nomaxpool', 'shallow'}:
        sys.exit(f'unknown VARIANT {variant}')
    blocks = 1 if 'shallow' in variant else 2
    r = ResNet(BasicBlock, [2, 2, 2, 2])
    r.inplanes = 16
    r.conv1, r.bn1 = nn.Conv2d(3, 16, 7, 2, 3, bias=False), nn.BatchNorm2d(16)
    r.layer1 = r._make_layer(BasicBlock, 16, blocks)
    r.layer2 = r._make_layer(BasicBlock, 32, blocks, stride=2)
    r.layer3 = r._make_layer(BasicBlock, 64, blocks, stride=2)
    r.layer4 = r._make_layer(BasicBlock, 128, blocks, stride=1)
    if 'kaiming' in variant:
        for m in r.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
    if 'zeroinit' in variant:
        for layer in (r.layer1, r.layer2, r.layer3, r.layer4):
            for b in layer:
                nn.init.zeros_(b.bn2.weight)
    stem = [r.conv1, r.bn1, r.relu] + ([] if 'nomaxpool' in variant else [r.maxpool])
    net = nn.Sequential(*stem, r.layer1, r.layer2, r.layer3, r.layer4, nn.Conv2d(128, len(classes), 1))
elif arch == 'tiny':
    net = nn.Sequential(block(3, 32), nn.MaxPool2d(2), block(32, 64), nn.MaxPool2d(2), block(64, 128), nn.MaxPool2d(2),
                        block(128, 128), nn.Conv2d(128, len(classes), 1))
else:
    sys.exit(f'unknown ARCH {arch}: resnet or tiny')
if pool not in ('max', 'mean', 'peaks'):
    sys.exit(f'unknown POOL {pool}: max, mean or peaks')
opt = (torch.optim.Adam(net.parameters(), lr=lr) if lr < 0.005
       else torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4))


def scores(x):
    m = net(x)
    if pool == 'peaks':
        d = m.detach()
        peaks = ((d == F.max_pool2d(d, 3, 1, 1)) & (d >= d.flatten(2).median(2).values[..., None, None])).float()
        return (m * peaks).sum((2, 3)) / peaks.sum((2, 3)).clamp(min=1)
    return m.flatten(2).max(2).values if pool == 'max' else m.mean((2, 3))


xt, yt = load('train')
xv, yv = load('val')
t0, losses = time.time(), []
for s in range(steps):
    idx = torch.randint(0, len(xt), (32,))
    x, y = xt[idx], yt[idx]
    if torch.rand(1) < 0.5:
        x = x.flip(3)
    out = scores(x)
    loss = (F.binary_cross_entropy_with_logits(out, F.one_hot(y, len(classes)).float()) if bce
            else F.cross_entropy(out, y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
    if (s + 1) % 100 == 0:
        net.eval()
        with torch.no_grad():
            acc = (torch.cat([scores(xv[i:i + 100]).argmax(1) for i in range(0, len(xv), 100)]) == yv).float().mean()
        net.train()
        print(f'step {s + 1} loss {np.mean(losses[-100:]):.3f} val top-1 {acc:.3f} ({time.time() - t0:.0f} s)', flush=True)
