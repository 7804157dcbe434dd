from pvcluster.cli import entry

entry()
