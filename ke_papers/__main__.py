from ke_papers.cli import main

main()
