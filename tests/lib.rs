mod robustness;
