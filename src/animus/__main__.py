from animus.cli import main

main()
