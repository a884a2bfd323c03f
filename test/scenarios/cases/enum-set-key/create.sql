CREATE TABLE `t` (
  `kind` ENUM('zeta', 'alpha', 'mid') NOT NULL,
  `flags` SET('x', 'b', 'a') NOT NULL,
  `seq` INT NOT NULL,
  `name` VARCHAR(64) NOT NULL,
  `qty` INT NOT NULL,
  `price` DECIMAL(10,2) NOT NULL,
  `note` VARCHAR(255) NULL,
  `updated_at` DATETIME(6) NOT NULL,
  PRIMARY KEY (`kind`, `flags`, `seq`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
