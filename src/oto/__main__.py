from oto.cli.app import main

main()
