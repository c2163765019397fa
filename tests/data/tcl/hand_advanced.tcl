profile_title "Hand made \u00e9 test"
profile_notes {Line one with {nested braces} and "quotes".
Second line with a backslash \n kept as written.}
author Someone
profile_language en
beverage_type {espresso}
profile_hide 0
type advanced
settings_profile_type settings_2c
advanced_shot {{exit_if 1 flow 4 volume 0 max_flow_or_pressure_range 0.6 transition fast exit_flow_under 0 temperature 92.00 name {fill basket} sensor coffee pump flow exit_type pressure_over exit_flow_over 6 exit_pressure_over 3.0 max_flow_or_pressure 0 exit_pressure_under 0 seconds 4.50 weight 0 popup {}} {exit_if 0 pressure 8.0 flow 6 volume 100 max_flow_or_pressure_range 0.6 transition smooth exit_flow_under 0 temperature 93.5 name hold sensor water pump pressure exit_type flow_over exit_flow_over 6 exit_pressure_over 11 max_flow_or_pressure 2.5 exit_pressure_under 0 seconds 0 weight 3.30} {exit_if 1 flow 0.33333 pressure 9 volume 50 transition smooth exit_flow_under 1.25 temperature 90 name {slow flow} sensor coffee pump flow exit_type flow_under exit_flow_over 6 exit_pressure_over 11 exit_pressure_under 0 seconds 10} {exit_if 1 pressure 6 volume 0 transition fast exit_flow_under 0 temperature 88.0 name decline sensor coffee pump pressure exit_type pressure_under exit_flow_over 6 exit_pressure_over 11 exit_pressure_under 2 seconds 60} {exit_if 1 flow 2.2 volume 0 transition fast exit_flow_under 0 temperature 88 name {flow cap} sensor coffee pump flow exit_type flow_over exit_flow_over 3 exit_pressure_over 11 exit_pressure_under 0 seconds 30 max_flow_or_pressure 9.04999 max_flow_or_pressure_range 1}}
final_desired_shot_weight 40
final_desired_shot_weight_advanced 36.5
final_desired_shot_volume_advanced 0
final_desired_shot_volume_advanced_count_start 1
tank_desired_water_temperature 88.00
espresso_temperature 90
