# A VOC-layout split read for the PyTorch probes in bench/ (not product code): image ids, each
# image's file (.jpg, else .png), its objects' class names, ImageNet normalisation.
import os
import xml.etree.ElementTree as ET
import numpy as np

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def image_ids(root, split):
    return open(f'{root}/ImageSets/Segmentation/{split}.txt').read().split()


def image_path(root, image_id):
    path = f'{root}/JPEGImages/{image_id}.jpg'
    return path if os.path.exists(path) else f'{root}/JPEGImages/{image_id}.png'


def object_names(root, image_id):
    return [o.find('name').text for o in ET.parse(f'{root}/Annotations/{image_id}.xml').getroot().iter('object')]


def normalised(rgb_uint8):
    """H x W x 3 float32, ImageNet-normalised."""
    return ((np.asarray(rgb_uint8, np.float32) / 255 - MEAN) / STD).astype(np.float32)
