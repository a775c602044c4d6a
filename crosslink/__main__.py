from crosslink.cli import main

main()
