using AlertPipeline.Cli;

// Ctrl+C stops long-running commands (ship, tail) cleanly: they save positions and print their summary.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await AlertPipeCli.RunAsync(args, Console.Out, Console.Error, stop.Token).ConfigureAwait(false);
