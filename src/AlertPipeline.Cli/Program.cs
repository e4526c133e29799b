using AlertPipeline.Cli;

return await AlertPipeCli.RunAsync(args, Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false);
