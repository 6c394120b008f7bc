return Lshk.Cli.App.Run(args);
