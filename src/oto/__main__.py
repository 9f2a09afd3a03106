from oto.cli import main

main()
