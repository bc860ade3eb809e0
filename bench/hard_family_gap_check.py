# Is a VOC-layout dataset's image-level task learnable from scratch? An independent check of
# wiseseg's classifier trainer, not product code: a ResNet-18 at width 16 (torchvision's
# BasicBlock, layer4 without stride), a 1x1 class convolution, pooled over each map ('gap': the
# mean; 'max': the maximum; any other word: the mean of its top eighth), multilabel BCE, SGD lr
# 0.02, momentum 0.9, weight decay 1e-4, batch 16, flips, images resized to 288 px on the longer
# side and zero-padded. One thread. Prints the label prior's loss, the mean loss per 50 steps and
# val classification mAP (chance = the share of positive image-class pairs).
# usage: /usr/bin/python3 bench/hard_family_gap_check.py DATASET STEPS gap|max|top [sgd|adam] [SIZE]
# [plain|aug]
# ('adam': Adam at lr 1e-3 instead of the SGD above, to tell the optimiser from the data; SIZE: the
# input side instead of 288; 'aug': besides flips, each image's colour channels permuted and an
# affine warp, scale 0.8-1.25, rotation within 15 degrees, shift within 15 %, against memorising.)
# Val classification mAP is printed every 500 steps and at the end.
import sys, os, math, random, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image
from torchvision.models.resnet import ResNet, BasicBlock
from voc_split import image_ids, image_path, object_names, normalised
torch.set_num_threads(1); torch.manual_seed(0); random.seed(0)
root, steps, pool = sys.argv[1], int(sys.argv[2]), sys.argv[3]
optimiser = sys.argv[4] if len(sys.argv) > 4 else 'sgd'
side = int(sys.argv[5]) if len(sys.argv) > 5 else 288
augment = len(sys.argv) > 6 and sys.argv[6] == 'aug'
classes = open(f'{root}/classes.txt').read().split()
def load(split):
    X, Y = [], []
    for i in image_ids(root, split):
        im = Image.open(image_path(root, i)).convert('RGB'); w, h = im.size; s = side / max(w, h)
        im = im.resize((round(w * s), round(h * s)), Image.BILINEAR)
        a = np.zeros((side, side, 3), np.float32); arr = normalised(im)
        a[:arr.shape[0], :arr.shape[1]] = arr
        X.append(torch.from_numpy(a).permute(2, 0, 1))
        y = torch.zeros(len(classes))
        for name in object_names(root, i):
            y[classes.index(name)] = 1
        Y.append(y)
    return torch.stack(X), torch.stack(Y)
Xt, Yt = load('train'); Xv, Yv = load('val')
p = Yt.mean(0); prior = -(p * p.log() + (1 - p) * (1 - p).log()).mean().item()
class Net(nn.Module):
    def __init__(s):
        super().__init__()
        r = ResNet(BasicBlock, [2, 2, 2, 2], width_per_group=64)
        r.inplanes = 16; r.conv1 = nn.Conv2d(3, 16, 7, 2, 3, bias=False); r.bn1 = nn.BatchNorm2d(16)
        r.layer1 = r._make_layer(BasicBlock, 16, 2); r.layer2 = r._make_layer(BasicBlock, 32, 2, stride=2)
        r.layer3 = r._make_layer(BasicBlock, 64, 2, stride=2); r.layer4 = r._make_layer(BasicBlock, 128, 2, stride=1)
        s.r = r; s.head = nn.Conv2d(128, len(classes), 1)
    def forward(s, x):
        r = s.r; x = r.maxpool(r.relu(r.bn1(r.conv1(x)))); x = r.layer4(r.layer3(r.layer2(r.layer1(x))))
        m = s.head(x)
        if pool == 'gap': return m.mean((2, 3))
        return m.flatten(2).max(2).values if pool == 'max' else m.flatten(2).topk(max(1, m[0,0].numel() // 8), 2).values.mean(2)
net = Net()
opt = (torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4) if optimiser == 'adam'
       else torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9, weight_decay=1e-4))
def ap(s, y):
    o = torch.argsort(-s); y = y[o]; tp = y.cumsum(0); prec = tp / torch.arange(1, len(y) + 1)
    return (prec * y).sum().item() / max(1, y.sum().item())
def val_map():
    net.eval()
    with torch.no_grad(): S = torch.cat([net(Xv[i:i + 32]) for i in range(0, len(Xv), 32)])
    net.train()
    return round(float(np.mean([ap(S[:, c], Yv[:, c]) for c in range(len(classes))])), 3)
def warp(x):
    n = len(x); a = (torch.rand(n) * 2 - 1) * math.radians(15); sc = torch.exp((torch.rand(n) * 2 - 1) * math.log(1.25))
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = torch.cos(a) / sc; theta[:, 0, 1] = -torch.sin(a) / sc
    theta[:, 1, 0] = torch.sin(a) / sc; theta[:, 1, 1] = torch.cos(a) / sc
    theta[:, :, 2] = (torch.rand(n, 2) * 2 - 1) * 0.3
    x = F.grid_sample(x, F.affine_grid(theta, x.shape, align_corners=False), align_corners=False)
    return torch.stack([xi[torch.randperm(3)] for xi in x])
print(f'prior {prior:.4f}', flush=True); losses = []; t0 = time.time()
for step in range(steps):
    idx = torch.randint(0, len(Xt), (16,)); x = Xt[idx].clone()
    flip = torch.rand(16) < 0.5; x[flip] = x[flip].flip(3)
    if augment: x = warp(x)
    loss = F.binary_cross_entropy_with_logits(net(x), Yt[idx]); opt.zero_grad(); loss.backward(); opt.step()
    losses.append(loss.item())
    if (step + 1) % 50 == 0: print(step + 1, round(float(np.mean(losses[-50:])), 4), f'{time.time() - t0:.0f}s', flush=True)
    if (step + 1) % 500 == 0 and step + 1 < steps: print('val mAP at', step + 1, val_map(), flush=True)
print('val mAP', val_map(), 'chance', round(Yv.mean().item(), 3))
