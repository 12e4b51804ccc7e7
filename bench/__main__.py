import sys

if sys.argv[1:2] == ["reload"]:
    from bench.reload import main

    raise SystemExit(main(sys.argv[2:]))

from bench.run import main

raise SystemExit(main())
