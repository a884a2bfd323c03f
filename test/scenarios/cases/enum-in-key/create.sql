CREATE TABLE `t` (
  `tenant` INT NOT NULL,
  `kind` ENUM('zulu','alpha','mike','bravo','yankee','charlie') NOT NULL,
  `name` VARCHAR(64) NOT NULL,
  `qty` INT NOT NULL,
  `price` DECIMAL(10,2) NOT NULL,
  `note` VARCHAR(255) NULL,
  `updated_at` DATETIME(6) NOT NULL,
  PRIMARY KEY (`tenant`, `kind`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
