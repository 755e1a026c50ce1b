"Lesson 1's learner: what `keep_bn` promises."
import torch
from fastcore.basics import first
from torch import nn
from PIL import Image
from transfer_course.data import folder_dls
from transfer_course.vision import image_learner

def test_keep_bn_keeps_the_batchnorm_statistics_and_still_trains(tmp_path):
    for c, col in [('red', (220, 30, 30)), ('blue', (30, 30, 220))]:
        (tmp_path/c).mkdir()
        for i in range(6): Image.new('RGB', (40, 40), tuple(v + 5*i for v in col)).save(tmp_path/c/f'{i}.jpg')
    dls = folder_dls(tmp_path, size=32, bs=4, num_workers=0, device='cpu')
    stats = lambda m: [b.running_mean.clone() for b in m.modules() if isinstance(b, nn.modules.batchnorm._BatchNorm)]
    for keep in (True, False):
        learn = image_learner(dls, 'resnet18', pretrained=False, keep_bn=keep)
        body, head = learn.model[0], learn.model[1]
        before, new, w = stats(body), stats(head), first(body.parameters()).detach().clone()
        learn.fit(1)
        moved = any(not torch.equal(a, b) for a, b in zip(before, stats(body)))
        assert moved != keep, f"keep_bn={keep}: the body's running statistics {'moved' if moved else 'did not move'}"
        assert new and all(not torch.equal(a, b) for a, b in zip(new, stats(head))) # the new head has no pretrained statistics to keep: it learns its own
        assert not torch.equal(w, first(learn.model[0].parameters())) # the weights train either way

def test_keep_bn_under_distributed_data_parallel_keeps_only_the_body(tmp_path):
    "`accelerate launch` wraps the model in DistributedDataParallel: the head's BatchNorm still learns its statistics"
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from transfer_course.vision import KeepBNStats
    dist.init_process_group('gloo', init_method=f"file://{tmp_path/'pg'}", rank=0, world_size=1)
    try:
        model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)), nn.Sequential(nn.Flatten(), nn.BatchNorm1d(4*6*6)))
        cb = KeepBNStats(); cb.learn = type('L', (), {'model': DistributedDataParallel(model)})()
        model.train(); cb.before_train()
        assert not model[0][1].training and model[1][1].training
    finally: dist.destroy_process_group()
