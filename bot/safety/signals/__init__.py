"""The safety net's signal tables: how people say each sign, one data module per detector and language.

`red_flags_en` / `red_flags_es` hold the lines of the red-flag signals, `dosing_en` / `dosing_es` those of the
dosing signals (with the words and placeholders they are made of), and `words_es` the Spanish words both
Spanish tables are made of, with the Spanish names of terminology terms. The rules that read the signals are in
bot.safety.red_flags and bot.safety.dosing; the pattern notation is in bot.safety.matching.
"""
