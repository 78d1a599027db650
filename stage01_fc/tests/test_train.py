from stage01_fc.train import main


def test_two_epochs_learn_something(capsys):
    acc = main(["--epochs", "2", "--seed", "1"])
    assert acc > 0.85
    assert "epoch  2" in capsys.readouterr().out
