global using Shadow.Bench.Common;
