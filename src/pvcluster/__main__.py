from pvcluster.cli import main

raise SystemExit(main())
