from trustledger.cli import main

main()
