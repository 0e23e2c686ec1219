"""A model folder <-> a PyTorch model of the right architecture (the two directions of the weight mapping)."""
from .architectures import build_model, model_from_engine
from .folder import ModelFolderError, read_model_folder


def load_model(folder, device="cpu"):
    """(model in eval mode, config, tokenizers) from one of our model folders."""
    cfg, toks, weights = read_model_folder(folder)
    try:
        model = model_from_engine(cfg["settings"]["model"], len(toks["source"]["tokens"]), len(toks["target"]["tokens"]), weights, where=folder)
    except ValueError as e:
        raise ModelFolderError(str(e)) from None
    return model.to(device).eval(), cfg, toks


def new_model(settings, tokenizers):
    return build_model(settings["model"], len(tokenizers["source"]["tokens"]), len(tokenizers["target"]["tokens"]))
